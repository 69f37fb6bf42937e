'use strict';
// Every example flow under examples/ is loaded into the real runtime with the
// pack's nodes and Node-RED's core nodes, so none can rot: each of our nodes
// must start without a red status. Nodes of other packs (dashboard widgets) and
// debug nodes are stood in for by helper nodes with the same wires.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, startRuntime, stopRuntime, lastStatus } = require('../helpers/runtime');

const { root, ours, imported: importedAs } = require('../helpers/examples');

const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The example as the editor imports it (test/helpers/examples.js), training cut to at most 3 epochs (as `npm start -- --epochs` does) so a run takes seconds. */
function imported(file) {
  return importedAs(file, (node, n) => {
    if (n.type === 'lstm-train') node.epochs = Math.min(Number(n.epochs) || 3, 3);
  });
}

/** Waits until the node's last status text matches re (a green one), or fails after ms. */
async function statusMatches(node, re, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const st = lastStatus(node);
    if (st && st.fill === 'green' && re.test(st.text)) return st;
    if (Date.now() > until)
      throw new Error(`${node.type} ${node.id}: no status matching ${re} within ${ms} ms (${st && st.text})`);
    await sleep(50);
  }
}

describe('example flows', function () {
  this.timeout(60000);
  afterEach(async function () {
    await stopRuntime();
  });

  it('every node type of the pack appears in an example', function () {
    const used = new Set();
    for (const f of examples)
      for (const n of JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8'))) used.add(n.type);
    for (const { type } of ours) assert.ok(used.has(type), `${type} is in no example flow`);
  });

  it('no two nodes of an example lie on top of each other in the editor (one hides the other, a double-click opens the wrong one)', function () {
    const close = [];
    for (const f of examples) {
      const placed = JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')).filter(
        (n) => typeof n.x === 'number' && typeof n.y === 'number',
      );
      placed.forEach((a, i) =>
        placed.slice(i + 1).forEach((b) => {
          // Node-RED draws a node about 30 px high and at least 100 px wide, centred on (x, y).
          if (a.z === b.z && Math.abs(a.x - b.x) < 60 && Math.abs(a.y - b.y) < 30)
            close.push(
              `${f}: ${a.type} '${a.name || a.id}' (${a.x}, ${a.y}) and ${b.type} '${b.name || b.id}' (${b.x}, ${b.y})`,
            );
        }),
      );
    }
    assert.deepStrictEqual(close, []);
  });

  for (const file of examples) {
    it(`${file} loads and its pack nodes start cleanly`, async function () {
      const { raw, flow, modules, ourTypes } = imported(file);
      assert.ok(
        raw.some((n) => n.type === 'comment'),
        'the example explains itself with a comment node',
      );
      await startRuntime(modules, flow);
      await new Promise((r) => setTimeout(r, 300));
      for (const n of flow.filter((x) => ourTypes.has(x.type))) {
        const node = helper.getNode(n.id);
        assert.ok(node, `${n.type} ${n.id} started`);
        const st = lastStatus(node);
        assert.ok(!st || st.fill !== 'red', `${n.type} ${n.id} has a red status: ${st && st.text}`);
      }
    });
  }

  for (const file of examples) {
    it(`${file} runs as imported: trains, streams, retrains once, streams on without an error`, async function () {
      this.timeout(240000);
      const { flow, modules, ourTypes } = imported(file);
      // The demo's env (as npm start sets it, smaller): a short history and a fast replay.
      const saved = { rows: process.env.DEMO_HISTORY_ROWS, rate: process.env.DEMO_RATE_MS };
      process.env.DEMO_HISTORY_ROWS = '300';
      process.env.DEMO_RATE_MS = '20';
      try {
        await startRuntime(modules, flow);
        const pack = flow.filter((n) => ourTypes.has(n.type)).map((n) => helper.getNode(n.id));
        const errors = [];
        let phase = 'first training';
        for (const node of pack)
          node.on('call:error', (call) =>
            errors.push({ phase, node: `${node.type} ${node.id}`, text: String(call.args[0]) }),
          );
        const injects = flow.filter((n) => n.type === 'inject');
        // Buttons (and the demo's start inject, its only trigger): history, train, forecast. Timers: live readings.
        const buttons = injects.filter((n) => !n.repeat && !n.once).map((n) => helper.getNode(n.id));
        const starts = injects.filter((n) => n.once && !n.repeat).map((n) => helper.getNode(n.id));
        const timers = injects.filter((n) => n.repeat).map((n) => helper.getNode(n.id));
        const live = async (count) => {
          for (let i = 0; i < count; i++) {
            // Every fifth tick twice at once: a busy event loop runs timer ticks back to back, in one millisecond.
            for (const t of timers) for (let k = 0; k < (i % 5 === 4 ? 2 : 1); k++) t.receive({});
            await sleep(10);
          }
        };
        const train = flow.find((n) => n.type === 'lstm-train');
        // A `{topic}` model name (one model per topic): the node's status is one topic's at a time, so the stored
        // versions are read from the training reports (msg.model) instead.
        const perTopic = Boolean(train && String(train.model).includes('{topic}'));
        const stored = new Map();
        if (train) {
          helper.getNode(train.id).on('call:send', (call) => {
            const out = Array.isArray(call.args[0]) ? call.args[0][0] : call.args[0];
            if (out && out.model && typeof out.model.version === 'number')
              stored.set(out.model.name, out.model.version);
          });
        }
        const trained = async (version) => {
          if (!perTopic) return statusMatches(helper.getNode(train.id), new RegExp(`^v${version}\\b`), 120000);
          const until = Date.now() + 120000;
          const done = () => stored.size >= 2 && [...stored.values()].every((v) => v >= version);
          while (!done() && Date.now() < until) await sleep(50);
          assert.ok(done(), `two or more topics' models at v${version} (${JSON.stringify([...stored])})`);
        };
        const predicts = flow.filter((n) => n.type === 'lstm-predict');
        const forecasts = [];
        for (const p of predicts) {
          helper.getNode(p.id).on('call:send', (call) => {
            const out = Array.isArray(call.args[0]) ? call.args[0][0] : call.args[0];
            for (const m of [out].flat())
              if (m && m.payload) forecasts.push({ phase, topic: m.topic, payload: m.payload });
          });
        }
        for (const b of buttons) b.receive({});
        if (train) await trained(1);
        phase = 'live before the retrain';
        await live(40);
        await sleep(500);
        phase = 'retrain';
        for (const b of [...buttons, ...starts]) b.receive({});
        if (train) await trained(2);
        phase = 'live after the retrain';
        await live(40);
        // lstm-predict re-reads the store at most every `refresh` ms (default 2000): then the new version serves.
        const refresh = Math.max(
          ...flow.filter((n) => n.type === 'lstm-predict').map((n) => Number(n.refresh) || 2000),
          0,
        );
        await sleep(refresh + 200);
        await live(5);
        await sleep(1000);
        const late = errors.filter((e) => e.phase !== 'first training');
        assert.deepStrictEqual(late, [], 'no node of the pack reports an error once a model exists');
        for (const node of pack) {
          const st = lastStatus(node);
          assert.ok(!st || st.fill !== 'red', `${node.type} ${node.id} has a red status: ${st && st.text}`);
        }
        // Every inspector explained forecasts: attention ('lag A, w W' / 'lag A/B') or, for a model without attention
        // whose predict attaches an attribution, the attribution alone ('attr lag P').
        for (const n of flow.filter((x) => x.type === 'attention-inspector')) {
          const st = lastStatus(helper.getNode(n.id));
          const feeds = flow.filter((p) => p.type === 'lstm-predict' && p.wires.flat().includes(n.id));
          const plain = feeds.some((p) =>
            flow.some((t) => t.type === 'lstm-train' && t.model === p.model && t.modelType === 'lstm'),
          );
          const re = plain ? /^attr lag \d+$/ : /^lag \d+/;
          assert.ok(
            st && st.fill === 'green' && re.test(st.text),
            `inspector ${n.id} explains (${re}): ${st && st.text}`,
          );
        }
        const predict = flow.find((n) => n.type === 'lstm-predict');
        if (predict) {
          // With a live stream, the forecasts after the retrain come from the new version.
          const st = lastStatus(helper.getNode(predict.id));
          const re = timers.length ? /^v2\b/ : /^v\d+\b/;
          assert.ok(st && st.fill === 'green' && re.test(st.text), `predict forecasts (${re}): ${st && st.text}`);
        }
        if (perTopic) {
          // Each topic's readings are forecast by that topic's own model, at its retrained version.
          const template = predicts[0].model;
          assert.ok(template.includes('{topic}'), `lstm-predict names its model per topic too (${template})`);
          const latest = new Map();
          for (const f of forecasts.filter((x) => x.phase === 'live after the retrain')) {
            assert.strictEqual(f.payload.model, template.split('{topic}').join(f.topic), `topic ${f.topic}'s model`);
            latest.set(f.payload.model, f.payload.version);
          }
          assert.deepStrictEqual(
            [...latest].sort(),
            [...stored.keys()].sort().map((name) => [name, 2]),
            'a forecast per topic, from its own model at v2',
          );
        }
      } finally {
        for (const [k, v] of [
          ['DEMO_HISTORY_ROWS', saved.rows],
          ['DEMO_RATE_MS', saved.rate],
        ]) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });
  }
});
