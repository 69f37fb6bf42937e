'use strict';
// Runs flows in the real Node-RED runtime (node-red-node-test-helper) with real
// context stores. The helper alone never loads the configured context stores
// (Node-RED's start-up does that), so startRuntime loads them before the flows
// start, and stopRuntime shuts down like Node-RED does: stop the flows, then
// flush and close the stores (without the helper's unload, which deletes every
// node and flow context as if the nodes had been removed).
const helper = require('node-red-node-test-helper');

helper.init(require.resolve('node-red'));

async function startRuntime(nodes, flow, settings = {}) {
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

async function stopRuntime() {
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

module.exports = { helper, startRuntime, stopRuntime, nextMessage, expectError, lastStatus, collect };
