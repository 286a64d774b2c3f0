// The read thread (read-pool.ts): its own read-only connection to the daemon's database answers the
// MQTT requests' queries, so a query never runs on the event loop that stores and publishes diagnoses
// (HTTP has a thread of its own, src/http/http-worker.ts).
// WAL lets it read while the daemon writes; it never takes the store's lock.
import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnly } from '../store/reader.js';
import { toWire } from '../runtime/worker-protocol.js';
import { lowerThreadPriority, readOps } from './read-ops.js';
import type { FromReader, ReadInit, ReadOps, ToReader } from './read-protocol.js';

const port = parentPort;
if (!port) throw new Error('src/api/read-worker.ts runs only as a worker thread (see read-pool.ts)');
const init = workerData as ReadInit;
lowerThreadPriority();

let reader: ReturnType<typeof openReadOnly>;
let ops: ReadOps;
try {
  reader = openReadOnly(init.path);
  ops = readOps(reader);
  port.postMessage({ type: 'ready' } satisfies FromReader);
} catch (e) {
  port.postMessage({ type: 'init-error', error: toWire(e) } satisfies FromReader);
  port.close();
}

port.on('message', (msg: ToReader) => {
  if (msg.type === 'stop') {
    reader?.close();
    port.close();
    return;
  }
  try {
    const fn = ops[msg.op] as (...args: unknown[]) => unknown;
    port.postMessage({ type: 'result', id: msg.id, result: fn(...msg.args) } satisfies FromReader);
  } catch (e) {
    port.postMessage({ type: 'error', id: msg.id, error: toWire(e) } satisfies FromReader);
  }
});
