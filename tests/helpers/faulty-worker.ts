// Worker entry for the supervision tests (pools, checkpointer): runs a real drsnd worker module with one fault that a
// real deployment meets, so production workers carry no test hooks (issue 22). process.argv ends with
// the real module's URL and the fault as JSON (see faults.ts). The fault strikes once per pool: the
// first worker to meet it creates the fault's marker file, so a replacement runs clean. The module's
// message listener is wrapped, so this sees each work message (not a stop) first:
//   crash          the thread exits abruptly (code 70), as on a native crash;
//   hang           the thread blocks forever, as in a wedged native call (only terminate() ends it);
//   failEngineCall onnxruntime's session.run rejects on that call, as on an engine error.
import { openSync, closeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { WorkerFault } from './faults.js';


const [target, json] = process.argv.slice(-2);
const fault = JSON.parse(json) as WorkerFault & { marker: string };
const port = parentPort!;

/** True for the first caller in the pool only (an exclusive create of the marker file). */
function strike(): boolean {
  try {
    closeSync(openSync(fault.marker, 'wx'));
    return true;
  } catch {
    return false;
  }
}

let work = 0;
const hits = (m: { nth?: number; windows?: number } | undefined, msg: { type: string; n?: number }): boolean =>
  !!m && (m.nth === work || (m.windows !== undefined && msg.n === m.windows)) && strike();

const on = port.on.bind(port);
port.on = ((event: string, listener: (msg: { type: string; n?: number }) => void) => {
  if (event !== 'message') return on(event, listener);
  return on('message', (msg: { type: string; n?: number }) => {
    // Work messages only: a stop, or a window asked for from the snapshot ring, is not work.
    if (msg.type !== 'stop' && msg.type !== 'window') {
      work++;
      if (hits(fault.crash, msg)) process.exit(70);
      if (hits(fault.hang, msg)) for (;;); // eslint-disable-line no-empty
    }
    listener(msg);
  });
}) as typeof port.on;

if (fault.failEngineCall !== undefined) {
  const ort = await import('onnxruntime-node');
  const proto = (ort.InferenceSession as unknown as { prototype: { run(...a: unknown[]): Promise<unknown> } }).prototype;
  const run = proto.run;
  let calls = 0;
  proto.run = function (this: unknown, ...args: unknown[]) {
    if (++calls === fault.failEngineCall && strike()) return Promise.reject(new Error(`onnxruntime: run ${calls} failed (test fault)`));
    return run.apply(this, args);
  };
}

await import(target);
