/** Starts the TensorFlow.js backend once per process and logs which one runs. */
import type { NodeAPI } from 'node-red';
import { initBackend, type BackendInfo } from '../core/base/backend';

let logged = false;

export function startBackend(RED: NodeAPI): Promise<BackendInfo> {
  const p = initBackend();
  if (!logged) {
    logged = true;
    p.then(
      (b) => {
        const why = b.fallbacks.length ? ` (not available: ${b.fallbacks.join('; ')})` : '';
        RED.log.info(`[lstm-forecast] TensorFlow.js backend: ${b.name}${why}`);
      },
      (err: Error) => RED.log.error(`[lstm-forecast] ${err.message}`),
    );
  }
  return p;
}
