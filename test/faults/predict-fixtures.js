'use strict';
const { seededRandom } = require('../../nodes/core/base/random');
// Shared parts of the predict/inspector fault specs (not a spec itself): a real
// context store module that fails on demand and counts its reads, a tiny model
// trained by the core, and a walk that finds non-finite numbers in messages.
const { initBackend } = require('../../nodes/core/base/backend');
const { trainForecaster } = require('../../nodes/core/train/trainer');
const { co2Dataset } = require('../helpers/co2-fixture');

/**
 * A context store module (the `module` of a settings.contextStorage entry) that
 * keeps values in memory as JSON text (like a real store: no shared objects),
 * counts reads per key and fails get/set while `state.failGet`/`state.failSet`.
 */
function flakyStore() {
  const data = new Map();
  const state = { failGet: false, failSet: false, gets: new Map() };
  const scopeOf = (scope) => {
    if (!data.has(scope)) data.set(scope, new Map());
    return data.get(scope);
  };
  const read = (scope, key) => {
    const text = scopeOf(scope).get(key);
    return text === undefined ? undefined : JSON.parse(text);
  };
  const store = {
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
    get(scope, key, cb) {
      for (const k of [].concat(key)) state.gets.set(k, (state.gets.get(k) || 0) + 1);
      setImmediate(() => {
        if (state.failGet) return cb(new Error('store unreachable (injected fault)'));
        if (Array.isArray(key)) return cb(undefined, ...key.map((k) => read(scope, k)));
        cb(undefined, read(scope, key));
      });
    },
    set(scope, key, value, cb) {
      setImmediate(() => {
        if (state.failSet) return cb(new Error('store unreachable (injected fault)'));
        if (value === undefined) scopeOf(scope).delete(key);
        else scopeOf(scope).set(key, JSON.stringify(value));
        cb();
      });
    },
    keys(scope, cb) {
      setImmediate(() => cb(undefined, [...scopeOf(scope).keys()]));
    },
    delete(scope) {
      data.delete(scope);
      return Promise.resolve();
    },
    clean() {
      return Promise.resolve();
    },
  };
  return {
    module: () => store,
    state,
    /** Puts a value straight into the store (as lstm-train would have written it). */
    put: (scope, key, value) => scopeOf(scope).set(key, JSON.stringify(value)),
    /** The stored JSON text (byte-exact, for before/after comparisons). */
    raw: (scope, key) => scopeOf(scope).get(key),
    reads: (key) => state.gets.get(key) || 0,
  };
}

let trained;
/** A tiny artifact trained once per process (co2, window 12, horizon 3; `gca` gives attention). */
async function tinyArtifact(type = 'lstm') {
  await initBackend();
  trained = trained || {};
  if (!trained[type]) {
    const data = co2Dataset(12, 3, 80);
    const model = type === 'gca' ? { type, units: 4, attentionUnits: 4, iterations: 2 } : { type, units: 4 };
    trained[type] = (
      await trainForecaster(data, { ...model, seed: 1 }, { epochs: 1, batchSize: 32, name: 'tiny' })
    ).artifact;
  }
  return JSON.parse(JSON.stringify(trained[type]));
}

/** A copy of `artifact` stored under another name (a new id: predict loads it as another model). */
function renamed(artifact, name, n = 0) {
  const a = JSON.parse(JSON.stringify(artifact));
  a.name = name;
  a.id = `${artifact.id}-${name}-${n}`;
  return a;
}

/** A window message for the tiny model (12 rows of co2). */
function windowMessage(offset = 0) {
  const d = co2Dataset(12, 3, 80);
  return { type: 'window', inputs: d.inputs[offset % d.inputs.length], features: ['co2'], step: d.step };
}

/** Paths of numbers in `value` that are not finite (or BigInts), at most `limit` of them. */
function nonFinite(value, limit = 5) {
  const found = [];
  const seen = new Set();
  const walk = (v, path) => {
    if (found.length >= limit) return;
    if (typeof v === 'number' && !Number.isFinite(v)) found.push(`${path} = ${v}`);
    else if (typeof v === 'bigint') found.push(`${path} = ${v}n`);
    else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      if (ArrayBuffer.isView(v)) return walk(Array.from(v), path);
      for (const k of Object.keys(v)) walk(v[k], `${path}.${k}`);
    }
  };
  walk(value, 'msg');
  return found;
}

/** The pack's seeded PRNG (mulberry32): the same seed gives the same fuzz run. */
const prng = (seed) => seededRandom(seed);

module.exports = { flakyStore, tinyArtifact, renamed, windowMessage, nonFinite, prng };
