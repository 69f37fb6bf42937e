'use strict';
// A real Node-RED context store (the module API Node-RED loads from
// settings.contextStorage: open, close, get, set, keys, delete, clean) that
// keeps its data as JSON text, like a persistent store, and fails reads or
// writes on demand. Tests plug it in through the runtime's settings:
//   contextStorage: { flaky: { module: failingStore.module } }
// and steer it through failingStore.control (one shared store per process, as
// a test runtime starts one store per name at a time).

const control = {
  /** When true, every get (and keys) calls back with an error. */
  failGet: false,
  /** When true, every set calls back with an error (nothing is written). */
  failSet: false,
  /** Fail only keys matching this (a RegExp), when set; else every key. */
  only: null,
  /** The failure's text, when set (e.g. a huge one); else 'store read failed (test)' / 'store write failed (test)'. */
  reason: null,
  /** Counts of calls, for assertions. */
  gets: 0,
  sets: 0,
};

/** scope -> key -> JSON text; survives a runtime restart in the same process (like a file or Redis). */
const data = new Map();

function fails(flag, key) {
  return flag && (!control.only || control.only.test(key));
}

function later(fn) {
  // Callbacks come asynchronously, as from a real I/O-backed store.
  setImmediate(fn);
}

function FailingStore() {}

FailingStore.prototype.open = function () {
  return Promise.resolve();
};
FailingStore.prototype.close = function () {
  return Promise.resolve();
};
FailingStore.prototype.get = function (scope, key, callback) {
  if (typeof callback !== 'function') throw new Error('failing-store: callback required (async store)');
  control.gets++;
  const keys = Array.isArray(key) ? key : [key];
  if (keys.some((k) => fails(control.failGet, k)))
    return later(() => callback(new Error(control.reason || 'store read failed (test)')));
  const s = data.get(scope);
  const values = keys.map((k) => (s && s.has(k) ? JSON.parse(s.get(k)) : undefined));
  later(() => callback(undefined, ...values));
};
FailingStore.prototype.set = function (scope, key, value, callback) {
  if (typeof callback !== 'function') throw new Error('failing-store: callback required (async store)');
  control.sets++;
  const keys = Array.isArray(key) ? key : [key];
  const values = Array.isArray(key) ? value : [value];
  if (keys.some((k) => fails(control.failSet, k)))
    return later(() => callback(new Error(control.reason || 'store write failed (test)')));
  if (!data.has(scope)) data.set(scope, new Map());
  const s = data.get(scope);
  keys.forEach((k, i) => {
    if (values[i] === undefined) s.delete(k);
    else s.set(k, JSON.stringify(values[i]));
  });
  later(() => callback(undefined));
};
FailingStore.prototype.keys = function (scope, callback) {
  if (control.failGet) return later(() => callback(new Error('store read failed (test)')));
  const s = data.get(scope);
  later(() => callback(undefined, s ? [...s.keys()] : []));
};
FailingStore.prototype.delete = function (scope) {
  data.delete(scope);
  return Promise.resolve();
};
FailingStore.prototype.clean = function () {
  return Promise.resolve();
};

function module_() {
  return new FailingStore();
}

/** The stored value of a key, parsed (undefined when absent). */
function peek(scope, key) {
  const s = data.get(scope);
  return s && s.has(key) ? JSON.parse(s.get(key)) : undefined;
}

/** Every key and its JSON text in a scope, sorted: a byte-comparable picture of the stored state. */
function dump(scope) {
  const s = data.get(scope);
  return s ? JSON.stringify([...s.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) : '[]';
}

function reset() {
  data.clear();
  Object.assign(control, { failGet: false, failSet: false, only: null, reason: null, gets: 0, sets: 0 });
}

module.exports = { module: module_, control, peek, dump, reset, data };
