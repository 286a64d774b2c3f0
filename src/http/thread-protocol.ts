// Messages between the HTTP thread (http-worker.ts) and its owner on the main thread (http-thread.ts).
import type { AlertsUpdate } from '../alerts/alerts.js';
import type { BaselineAction } from '../baseline/baselines.js';
import type { Settings } from '../config/schema.js';
import type { WireError } from '../runtime/worker-protocol.js';

export interface HttpThreadInit {
  http: Pick<Settings['http'], 'host' | 'port' | 'token' | 'maxPageSize' | 'maxStreamClients' | 'cpuShare' | 'maxQueuedRequests'>;
  /** The daemon's database, opened read-only by the thread. */
  dbPath: string;
  /** Serve /metrics (its text comes from the main thread). */
  metrics: boolean;
  dashboardDir?: string;
  logLevel: string;
}

/** What the HTTP thread asks the main thread for. */
export type LiveCall =
  | { op: 'state' }
  | { op: 'metrics' }
  | { op: 'ack'; id: number; by: string | null }
  | { op: 'baseline'; action: BaselineAction; sensorId?: string; channel?: string; forMs?: number };

export type ToHttpThread =
  | { type: 'reply'; id: number; result?: unknown; error?: WireError }
  | { type: 'update'; update: AlertsUpdate }
  | { type: 'stop' };

export type FromHttpThread =
  | { type: 'started'; url: string | undefined }
  | { type: 'init-error'; error: WireError }
  | { type: 'listening'; url: string }
  | { type: 'call'; id: number; call: LiveCall }
  /** The live stream has clients (on) or none (off): the main thread forwards alert updates only while on. */
  | { type: 'stream'; on: boolean }
  /** A log line (pino JSON) for the daemon's own log. */
  | { type: 'log'; line: string };
