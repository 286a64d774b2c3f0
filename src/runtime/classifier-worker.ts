// Inference worker thread: loads one engine once (tfjs keeps one global backend per isolate and
// onnxruntime gets one single-threaded session here), then serves batches from the pool.
// Batches arrive and leave as transferred ArrayBuffers, so nothing is copied between threads.
import { parentPort, workerData } from 'node:worker_threads';
import { netInputLength } from '../model/metadata.js';
import { selectEngine } from '../model/select.js';
import { toWire, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('src/runtime/classifier-worker.ts runs only as a worker thread (see classifier-pool.ts)');
const init = workerData as WorkerInit;
const floatsPerWindow = netInputLength(init.meta) * init.meta.input.channels;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

try {
  const { engine, fallbacks } = await selectEngine({
    modelDir: init.modelDir, meta: init.meta, engine: init.engine, backend: init.backend, intraOpNumThreads: init.intraOpNumThreads,
  });
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      void engine.dispose().finally(() => port.close());
      return;
    }
    engine.run(new Float32Array(msg.buffer, 0, msg.n * floatsPerWindow), msg.n).then(
      (probs) => {
        // Own the buffer exactly: an engine may hand back a view into memory it still manages.
        const out = probs.byteOffset === 0 && probs.byteLength === probs.buffer.byteLength ? probs : probs.slice();
        send({ type: 'result', id: msg.id, buffer: out.buffer as ArrayBuffer }, [out.buffer as ArrayBuffer]);
      },
      (e: unknown) => send({ type: 'error', id: msg.id, error: toWire(e) }),
    );
  });
  send({ type: 'ready', engine: engine.name, backend: engine.backend, fallbacks });
} catch (e) {
  send({ type: 'init-error', error: toWire(e) });
  port.close();
}
