/**
 * The TensorFlow.js the pack runs on: tfjs-core (tensors, ops, optimisers, io)
 * and tfjs-layers (models and layers), one namespace as the umbrella
 * `@tensorflow/tfjs` package gives, without what that package also pulls in and
 * Node never loads (the WebGL backend, the converter, tfjs-data: about 190 MB of
 * a palette install). The backends (cpu, wasm, optional tensorflow) are loaded
 * by backend.ts. Import it as a type (`import type * as TF`); backend.ts loads
 * it at run time with the console muted.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
