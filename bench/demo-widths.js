#!/usr/bin/env node
'use strict';
/*
 * The effective widths the demo's inspector shows: runs examples/demo-dashboard.json in the real runtime
 * (Dashboard widgets stood in for by helper nodes, the data embedded in the flow, the flow's own training
 * settings unless --epochs), lets the live replay run, and prints, for every explained forecast, the GCA
 * attention's peak lag and effective width (last iteration) beside the attribution's.
 *
 *   node bench/demo-widths.js [--forecasts N (default 10)] [--epochs N] [--rows N (history hours, default 1440)]
 *
 * Effective width = 1 / sum(s^2) of the shares s (attention weights; |attribution| per hour / its total):
 * 48 = spread evenly over the 48 hours of the window, 1 = a single hour.
 */

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const FORECASTS = Math.max(1, Math.min(100, opt('forecasts', 10)));
const EPOCHS = opt('epochs', 0);
process.env.DEMO_HISTORY_ROWS = String(opt('rows', 1440));
process.env.DEMO_RATE_MS = '100';

const { helper, startRuntime, stopRuntime, lastStatus } = require('../test/helpers/runtime');
const { imported } = require('../test/helpers/examples');

async function main() {
  // The demo as the editor imports it, its real nodes as the examples spec runs them.
  const { flow, modules } = imported('demo-dashboard.json', (node, n) => {
    if (n.type === 'lstm-train' && EPOCHS > 0) node.epochs = EPOCHS;
    // One explained forecast every 2 s instead of 10 s: the same forecasts, sooner.
    if (n.type === 'delay') node.nbRateUnits = '2';
    if (n.type === 'attention-inspector') node.wires = [['widths'], [], n.wires[2] || []];
  });
  flow.push({ id: 'widths', type: 'helper', z: 'ex' });
  const started = Date.now();
  const tick = setInterval(() => {
    const t = flow.find((n) => n.type === 'lstm-train');
    const s = t && helper.getNode(t.id) && lastStatus(helper.getNode(t.id));
    console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] train: ${s && s.text}`);
  }, 20000);
  tick.unref();
  await startRuntime(modules, flow);
  const train = flow.find((n) => n.type === 'lstm-train');
  const seen = [];
  const out = helper.getNode('widths');
  out.on('input', (msg) => seen.push(msg.payload));
  // The demo's only trigger is its start inject (once): the test runtime does not fire it by itself.
  for (const n of flow.filter((x) => x.type === 'inject' && x.once)) helper.getNode(n.id).receive({});
  const deadline = Date.now() + 15 * 60000;
  while (seen.length < FORECASTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const st = lastStatus(helper.getNode(train.id));
  await stopRuntime();
  if (seen.length < FORECASTS) throw new Error(`only ${seen.length} explained forecasts within 15 min`);
  console.log(
    `model ${seen[0].model} v${seen[0].version}, training status '${st && st.text}', ${seen.length} forecasts`,
  );
  console.log('attention peak lag, width | attribution peak lag, width | attribution top lags');
  const rows = seen.map((p) => {
    const last = p.perIteration[p.perIteration.length - 1];
    const a = p.attribution;
    const top = a.perLag
      .map((v, i) => [Math.abs(v), a.perLag.length - 1 - i])
      .sort((x, y) => y[0] - x[0])
      .slice(0, 3)
      .map((x) => x[1]);
    console.log(
      `${last.peakLag}, ${last.effectiveWidth.toFixed(1)} | ${a.peakLag}, ${a.effectiveWidth.toFixed(1)} | ${top.join(' ')}`,
    );
    return [last.effectiveWidth, a.effectiveWidth];
  });
  const mean = (k) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  console.log(
    `mean effective width of ${p48(seen)}: attention ${mean(0).toFixed(1)}, attribution ${mean(1).toFixed(1)} ` +
      `(${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
const p48 = (seen) => `${seen[0].weights[0].length} hours`;

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
