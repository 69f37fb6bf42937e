// Entry of nodes/core/base/tfjs-registrations.js (built by scripts/bundle-tfjs.js): the
// gradients and the chained tensor methods (t.flatten() ...) of tfjs-core, which its
// CommonJS bundle leaves out and tfjs-layers needs. The umbrella @tensorflow/tfjs
// bundles them too, with a WebGL backend, the converter and tfjs-data the pack never loads.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
