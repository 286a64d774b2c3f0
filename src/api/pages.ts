// Pages of history and alerts as finished JSON text, built in the read thread (read-worker.ts): the
// rows, their JSON shape and the stringify never touch the daemon's event loop, which only writes the
// text out (at 200 requests/s, formatting 100 rows a page there raised the loop's delay measurably).
import { alertJson, diagnosisJson } from '../store/json.js';
import type { StoreReader } from '../store/reader.js';
import type { AlertFilter, HistoryFilter } from '../store/rows.js';

/** JSON text to send as it is (a page built in the read thread). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A result sent as several replies, one message each (a recording: MQTT requests only). */
export class ReplyParts {
  constructor(readonly parts: readonly unknown[]) {}
}

export function historyPage(reader: StoreReader, filter: HistoryFilter & { limit: number }): string {
  const rows = reader.history(filter);
  const last = rows.at(-1);
  const next = rows.length === filter.limit && last ? `${last.windowEnd}_${last.id}` : null;
  return JSON.stringify({ items: rows.map(diagnosisJson), next });
}

export function alertsPage(reader: StoreReader, filter: AlertFilter & { limit: number }): string {
  const rows = reader.alerts(filter);
  const last = rows.at(-1);
  const next = rows.length === filter.limit && last ? `${last.raisedAt}_${last.id}` : null;
  return JSON.stringify({ items: rows.map(alertJson), next });
}
