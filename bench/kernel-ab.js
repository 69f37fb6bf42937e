#!/usr/bin/env node
'use strict';
/**
 * The kernel's forecasts, build against build: batch-N forecasts/s and 1-window p50 of `predictBatch` on model A
 * (window 48, F = 1, LSTM-64, Dense(12), highway; seeded weights), or with `--model attention` of `predictAttention`
 * on model B (the same with 16 attention units), for each given build in turn, the order reversed
 * every other round, medians of rounds. Throughput is windows per second of this process's CPU time (user + system),
 * not of wall time, so a shared machine's load changes the ratios less; the ratio to the first build is taken
 * round by round. A build is a folder with core/model/kernel.js and kernel/lstm.wasm (a copy of nodes/ as compiled,
 * e.g. `mkdir -p /tmp/old/core/model /tmp/old/kernel` and copy the two files from a checkout); "." is this checkout.
 * Also prints each build's largest difference from the first build's forecasts (the same code gives 0).
 *
 *   npm run build && node bench/kernel-ab.js [--rounds 7] [--n 256] [--model lstm|attention] BUILD [BUILD ...]
 */
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const NODES = path.join(__dirname, '..', 'nodes');
const { initBackend } = require(path.join(NODES, 'core/base/backend'));
const { buildGraph } = require(path.join(NODES, 'core/model/graph'));
const { resolveModelConfig } = require(path.join(NODES, 'core/settings/model'));
const { seededRandom } = require(path.join(NODES, 'core/base/random'));
const { stored, randomizeWeights, maxAbsDiff } = require(path.join(__dirname, '..', 'test/helpers/kernel-weights'));

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const { values, positionals } = parseArgs({
    options: { rounds: { type: 'string' }, n: { type: 'string' }, model: { type: 'string', default: 'lstm' } },
    allowPositionals: true,
  });
  const rounds = Math.min(50, Math.max(1, Number(values.rounds || 7)));
  const n = Math.min(4096, Math.max(1, Number(values.n || 256)));
  const builds = positionals.length ? positionals : ['.'];
  const dirs = builds.map((b) => (b === '.' ? NODES : path.resolve(b)));
  await initBackend('cpu');
  const mods = dirs.map((d) => require(path.join(d, 'core/model/kernel.js')));
  const rand = seededRandom(3);
  const attention = values.model === 'attention';
  if (!attention && values.model !== 'lstm')
    throw new Error(`--model: expected lstm or attention, got ${values.model}`);
  const type = attention ? 'attention' : 'lstm';
  const g = buildGraph({ window: 48, features: 1, horizon: 12 }, resolveModelConfig({ type, units: 64, seed: 1 }));
  randomizeWeights(g.serve, rand, 0.2);
  const { topology, weights } = stored(g.serve);
  const plans = mods.map((m) => (attention ? m.attentionPlan : m.kernelPlan)(topology, weights));
  const predict = (m, p, xs, count) =>
    attention ? m.predictAttention(p, xs, count).forecast : m.predictBatch(p, xs, count);
  const x = Float32Array.from({ length: n * 48 }, () => rand() * 2 - 1);
  const first = predict(mods[0], plans[0], x, n);
  mods.forEach((m, i) => {
    if (i)
      console.log(`${builds[i]}: max |forecast - ${builds[0]}'s| = ${maxAbsDiff(predict(m, plans[i], x, n), first)}`);
  });
  const reps = Math.max(1, Math.round(5120 / n));
  const res = dirs.map(() => ({ batch: [], one: [] }));
  for (let r = 0; r < rounds; r++) {
    const order = dirs.map((_, i) => (r % 2 ? dirs.length - 1 - i : i));
    for (const i of order) {
      const [m, p] = [mods[i], plans[i]];
      predict(m, p, x, n);
      const c0 = process.cpuUsage();
      for (let k = 0; k < reps; k++) predict(m, p, x, n);
      const c = process.cpuUsage(c0);
      res[i].batch.push((n * reps) / ((c.user + c.system) / 1e6));
      const times = [];
      for (let k = 0; k < 300; k++) {
        const t0 = performance.now();
        predict(m, p, x.subarray(0, 48), 1);
        times.push(performance.now() - t0);
      }
      res[i].one.push(median(times));
    }
  }
  console.log(
    `| build (${type}) | batch-${n} windows/s (CPU time) | / ${builds[0]}, median (per round) | 1-window p50 ms |`,
  );
  console.log('|---|---|---|---|');
  builds.forEach((b, i) => {
    const ratios = res[i].batch.map((v, k) => v / res[0].batch[k]);
    console.log(
      `| ${b} | ${Math.round(median(res[i].batch))} | ${median(ratios).toFixed(3)} (${ratios.map((v) => v.toFixed(2)).join(' ')}) | ${median(res[i].one).toFixed(3)} |`,
    );
  });
  console.log(
    `load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')} on ${os.cpus().length} cores`,
  );
}

main().catch((e) => {
  process.stderr.write(`bench/kernel-ab.js: ${e.stack || e}\n`);
  process.exit(1);
});
