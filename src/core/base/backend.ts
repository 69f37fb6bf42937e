/**
 * The one place where TensorFlow.js is loaded and its backend chosen.
 *
 * Order of preference: the native `tensorflow` backend of `@tensorflow/tfjs-node`
 * (not a dependency: the user installs it beside the pack when wanted, README
 * "Install"; its install downloads libtensorflow, which fails on machines without
 * internet and on many ARM/Windows hosts, and it brings its own umbrella
 * `@tensorflow/tfjs`, which the pack itself does not need), then WebAssembly
 * (`@tensorflow/tfjs-backend-wasm`, SIMD, its .wasm files ship inside the npm
 * package), then the pure-JavaScript `cpu` backend, which always works.
 *
 * `LSTM_FORECAST_BACKEND=tensorflow|wasm|cpu` forces one (tests and benchmarks).
 */
import type * as TF from './tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** Why the faster ones were not used (empty when the first choice loaded). */
  fallbacks: string[];
}

let tfModule: typeof TF | undefined;
let ready: Promise<BackendInfo> | undefined;
let info: BackendInfo | undefined;

function loadTf(): typeof TF {
  if (!tfModule) {
    // tfjs prints a console banner suggesting tfjs-node when it runs in Node; we
    // report the backend ourselves, so keep the console quiet while it loads.
    const log = console.log;
    console.log = () => undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, with the console muted (above)
      tfModule = require('./tfjs') as typeof TF;
      // tfjs-core's gradients and chained tensor methods (built by scripts/bundle-tfjs.js).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers on tfjs-core's global registries
      require('./tfjs-registrations');
      // The pure-JavaScript backend, always there: the last fallback (and tfjs-core's default).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers itself on tfjs-core when loaded
      require('@tensorflow/tfjs-backend-cpu');
    } finally {
      console.log = log;
    }
  }
  return tfModule;
}

/**
 * The TensorFlow.js namespace. Call {@link initBackend} (once, anywhere) before
 * running ops; until it resolves, tfjs may still be on its default backend.
 */
export function tf(): typeof TF {
  return loadTf();
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 200);
}

async function tryBackend(name: BackendName): Promise<void> {
  const t = loadTf();
  if (name === 'tensorflow') {
    // Registers the 'tensorflow' backend on the shared tfjs-core instance.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- opt-in package: loaded only when tried
    require('@tensorflow/tfjs-node');
  } else if (name === 'wasm') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tried, after tfjs
    require('@tensorflow/tfjs-backend-wasm');
  }
  const ok = await t.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await t.ready();
  // Smoke test: some backends register but fail on first use.
  t.tidy(() => t.add(t.scalar(1), t.scalar(1)).dataSync());
}

/**
 * Chooses and initialises the best backend that loads. Idempotent: every call
 * returns the same promise.
 * @param prefer a backend to try first (else `LSTM_FORECAST_BACKEND`, else auto).
 */
export function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  if (ready) return ready;
  ready = (async () => {
    const forced = (prefer ?? process.env.LSTM_FORECAST_BACKEND) as BackendName | undefined;
    const order: BackendName[] =
      forced && ['tensorflow', 'wasm', 'cpu'].includes(forced)
        ? [forced, ...(['tensorflow', 'wasm', 'cpu'] as BackendName[]).filter((b) => b !== forced)]
        : ['tensorflow', 'wasm', 'cpu'];
    const fallbacks: string[] = [];
    for (const name of order) {
      try {
        await tryBackend(name);
        info = { name, fallbacks };
        return info;
      } catch (e) {
        fallbacks.push(`${name}: ${errorText(e)}`);
      }
    }
    throw new Error(`no TensorFlow.js backend could be initialised (${fallbacks.join('; ')})`);
  })();
  return ready;
}

/** The backend chosen by {@link initBackend}, or undefined before it resolved. */
export function backendInfo(): BackendInfo | undefined {
  return info;
}
