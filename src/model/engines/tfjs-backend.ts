// Picks the tfjs backend: tensorflow (tfjs-node, native, optional) → wasm (SIMD) → cpu (pure JS, slow).
// tfjs keeps one global backend per isolate, which is why the pool gives each worker its own engine.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DrsndError, ErrorCodes } from '../../errors.js';
import type { BackendChoice, EngineFallback } from './engine.js';

export type TfjsBackend = Exclude<BackendChoice, 'auto'>;
export const TFJS_BACKENDS: readonly TfjsBackend[] = ['tensorflow', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);

// A variable specifier keeps TypeScript from resolving the module: tfjs-node is an optionalDependency
// whose native build often fails to install, and drsnd must still run without it.
const TFJS_NODE = '@tensorflow/tfjs-node';

async function activate(name: TfjsBackend): Promise<void> {
  if (name === 'tensorflow') {
    await import(TFJS_NODE); // registers the 'tensorflow' backend on the shared tfjs-core
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries ship inside the package: point tfjs at them instead of letting it fetch a CDN.
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(distDir + path.sep);
  }
  if (!(await tf.setBackend(name)) || tf.getBackend() !== name) {
    throw new Error(`tf.setBackend('${name}') failed`);
  }
}

/** Activates the requested backend (or the best that works for 'auto'); fallbacks say why better ones were skipped. */
export async function initTfjsBackend(choice: BackendChoice): Promise<{ backend: TfjsBackend; fallbacks: EngineFallback[] }> {
  // Prod mode silences tfjs' console banners (we log the backend ourselves) and skips debug checks.
  tf.enableProdMode();
  const order = choice === 'auto' ? TFJS_BACKENDS : [choice];
  const fallbacks: EngineFallback[] = [];
  for (const name of order) {
    try {
      await activate(name);
      return { backend: name, fallbacks };
    } catch (e) {
      fallbacks.push({ tried: `tfjs/${name}`, reason: (e as Error).message.split('\n')[0] });
    }
  }
  const why = fallbacks.map((f) => `${f.tried}: ${f.reason}`).join('; ');
  throw new DrsndError(ErrorCodes.ENGINE_UNAVAILABLE, `tfjs backend ${choice} unavailable (${why})`, {
    details: fallbacks.map((f) => `${f.tried}: ${f.reason}`),
  });
}
