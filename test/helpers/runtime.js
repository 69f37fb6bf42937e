'use strict';
// Runs flows in the real Node-RED runtime (node-red-node-test-helper) with real
// context stores. The helper alone never loads the configured context stores
// (Node-RED's start-up does that), so startRuntime loads them before the flows
// start, and stopRuntime shuts down like Node-RED does: stop the flows, then
// flush and close the stores (without the helper's unload, which deletes every
// node and flow context as if the nodes had been removed).
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { i18n } = require('@node-red/util');

helper.init(require.resolve('node-red'));

/**
 * The helper's RED._ returns the message id itself; Node-RED's runtime reads the node's catalogue
 * (nodes/locales/<lang>/<node>.json). This gives the pack's nodes the real thing: Node-RED's own i18n
 * engine with the pack's catalogues, each id looked up in the catalogue its first segment names
 * ('sequence-windower.status.batch' in sequence-windower.json), as the runtime's per-node namespace does.
 */
const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');
let catalogues;
function loadCatalogues() {
  if (!catalogues) {
    catalogues = Promise.resolve(i18n.init({})).then(() =>
      Promise.all(
        fs
          .readdirSync(path.join(LOCALES, 'en-US'))
          .filter((f) => f.endsWith('.json'))
          .map((f) => i18n.registerMessageCatalog(`pack/${f.slice(0, -5)}`, LOCALES, f)),
      ),
    );
  }
  return catalogues;
}
const translate = (id, values) => i18n._(`pack/${String(id).split('.')[0]}:${id}`, values);
/**
 * The helper builds one RED for every node module it loads and then sets its `_` to the identity; this
 * makes that `_` the translator (setting it is ignored), so the modules themselves are loaded unchanged
 * (the helper tells core nodes it preloads by identity).
 */
function useCatalogues() {
  const util = helper._registryUtil;
  if (!util || util.packCatalogues) return;
  const create = util.createNodeApi;
  util.createNodeApi = function (...args) {
    const red = create.apply(this, args);
    Object.defineProperty(red, '_', { get: () => translate, set: () => {}, configurable: true });
    return red;
  };
  util.packCatalogues = true;
}

async function startRuntime(nodes, flow, settings = {}) {
  await loadCatalogues();
  useCatalogues();
  helper.settings(settings);
  const rn = helper._redNodes;
  const loadFlows = rn.loadFlows;
  rn.loadFlows = async function (...args) {
    rn.loadFlows = loadFlows;
    await rn.loadContextsPlugin();
    return loadFlows.apply(this, args);
  };
  await helper.load(nodes, flow);
}

/**
 * The status convention of Node-RED's core nodes: a glance, at most {@link STATUS_CONVENTION} characters; the
 * details go to the log and the messages. Every status a pack node sets in any test that runs a flow is
 * checked against it: the helper's spy on the Node prototype sees them all, and a root hook fails the test
 * that produced a longer one (scanned after each test and at stopRuntime, before the spy is restored).
 */
const STATUS_CONVENTION = 20;
const PACK_TYPES = new Set(['sequence-windower', 'lstm-train', 'lstm-predict', 'attention-inspector']);
const seenStatusCalls = new WeakSet();
let longStatuses = [];
function scanStatuses() {
  const spy = helper._NodePrototype && helper._NodePrototype.status;
  if (!spy || typeof spy.getCalls !== 'function') return;
  for (const call of spy.getCalls()) {
    if (seenStatusCalls.has(call)) continue;
    seenStatusCalls.add(call);
    const node = call.thisValue;
    const text = call.args[0] && call.args[0].text;
    if (!node || !PACK_TYPES.has(node.type) || typeof text !== 'string') continue;
    if (text.length > STATUS_CONVENTION) longStatuses.push(`${node.type} ${node.id}: '${text}' (${text.length})`);
  }
}
function checkStatuses() {
  scanStatuses();
  const found = longStatuses;
  longStatuses = [];
  if (found.length) {
    const shown = [...new Set(found)].slice(0, 20).join('\n  ');
    throw new Error(`status texts over ${STATUS_CONVENTION} characters:\n  ${shown}`);
  }
}
// Root hooks (this file is required at a spec file's top level): every test, and the hooks run after it.
if (typeof afterEach === 'function' && typeof after === 'function') {
  afterEach('every status a pack node set is at most 20 characters', checkStatuses);
  after('every status a pack node set is at most 20 characters', checkStatuses);
}

async function stopRuntime() {
  scanStatuses();
  const rn = helper._redNodes;
  await rn.stopFlows();
  await rn.closeContextsPlugin();
  rn.clearRegistry();
  if (helper._logSpy) helper._logSpy.restore();
  helper._sandbox.restore();
  helper.settings({});
}

/** Resolves with the next message a helper node receives. */
function nextMessage(node, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no message on ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg) => {
      clearTimeout(t);
      resolve(msg);
    });
  });
}

/** Sends msg to a node and resolves with the error its done(err) reported (or rejects if it finished without one). */
function expectError(node, msg, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('node finished without an error')), timeoutMs);
    node.once('call:error', (call) => {
      clearTimeout(t);
      resolve(call.args[0]);
    });
    node.receive(msg);
  });
}

/**
 * The last status this node set. The helper spies on the Node prototype, so the
 * spy records every node's calls: keep only this node's.
 */
function lastStatus(node) {
  const calls = (node.status.getCalls ? node.status.getCalls() : []).filter((c) => c.thisValue === node);
  return calls.length ? calls[calls.length - 1].args[0] : undefined;
}

/** Collects every message a helper node receives. */
function collect(node) {
  const list = [];
  node.on('input', (msg) => list.push(msg));
  return list;
}

module.exports = {
  STATUS_CONVENTION,
  helper,
  startRuntime,
  stopRuntime,
  nextMessage,
  expectError,
  lastStatus,
  collect,
};
