'use strict';
// The editor's defaults and validators and the README's settings tables are
// written from the settings declarations (scripts/settings-docs.js, run by
// npm run build). These specs read what was written, as the editor and a reader
// see it, and compare it with the declarations the runtime uses.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { MODEL_SETTINGS } = require('../../nodes/core/settings/model');
const { TRAINING_SETTINGS } = require('../../nodes/core/settings/training');
const { TRAIN_NODE_SETTINGS } = require('../../nodes/core/settings/train-node');
const { WINDOWER_SETTINGS } = require('../../nodes/core/settings/windower');
const { MODEL_LOCATION_SETTINGS } = require('../../nodes/core/settings/location');
const { PREDICT_NODE_SETTINGS } = require('../../nodes/core/settings/predict-node');
const { INSPECTOR_NODE_SETTINGS } = require('../../nodes/core/settings/inspector-node');
const { expectation } = require('../../nodes/core/settings/declare');

const ROOT = path.join(__dirname, '..', '..');
const inEditor = (...groups) => groups.flatMap((g) => Object.entries(g).filter(([, s]) => s.editor !== false));
const NODES = {
  'sequence-windower': inEditor(WINDOWER_SETTINGS),
  'lstm-train': inEditor(MODEL_LOCATION_SETTINGS, MODEL_SETTINGS, TRAINING_SETTINGS, TRAIN_NODE_SETTINGS),
  'lstm-predict': inEditor(MODEL_LOCATION_SETTINGS, PREDICT_NODE_SETTINGS),
  'attention-inspector': inEditor(INSPECTOR_NODE_SETTINGS),
};

/** Runs the node's editor script with a stand-in RED and returns the definition it registers. */
function editorDefinition(node) {
  const html = fs.readFileSync(path.join(ROOT, 'nodes', `${node}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)[1];
  let def;
  const RED = {
    nodes: {
      registerType: (type, d) => {
        if (type === node) def = d;
      },
    },
  };
  vm.runInNewContext(script, { RED, $: () => ({}) });
  assert.ok(def, `${node}.html registers ${node}`);
  return def;
}

/** A value the declaration refuses, or undefined when every value of its type is fine. */
function outOfBounds(s) {
  if (s.enum) return 'not-a-choice';
  if (s.type === 'integer' || s.type === 'number') {
    if (s.maximum !== undefined) return s.maximum + 1;
    if (s.exclusiveMaximum !== undefined) return s.exclusiveMaximum;
  }
  if (s.type === 'string' && s.pattern !== undefined) {
    // A value the pattern refuses: a name with spaces and punctuation, or a list with an empty item.
    return ['not a name!', 'a,,b', '{', '${'].find((v) => !new RegExp(s.pattern).test(v));
  }
  if (s.type === 'string' && s.maxLength !== undefined) return 'x'.repeat(s.maxLength + 1);
  return undefined;
}

describe('glue: settings written from the declarations', function () {
  for (const [node, entries] of Object.entries(NODES)) {
    it(`${node}: the editor offers every declared setting with its default and a validator that says what it accepts`, function () {
      const def = editorDefinition(node);
      for (const [key, s] of entries) {
        const prop = s.nodeKey || key;
        const d = def.defaults[prop];
        assert.ok(d, `${node}.html has a default for ${prop}`);
        assert.deepStrictEqual(d.value, s.default, `default of ${prop}`);
        assert.strictEqual(d.validate(d.value, { label: prop }), true, `${prop} accepts its default`);
        const bad = outOfBounds(s);
        if (bad === undefined) continue;
        assert.strictEqual(
          d.validate(bad, { label: prop }),
          `${prop} must be ${expectation(s)}`,
          `${prop} refuses ${bad}`,
        );
        assert.strictEqual(d.validate(bad), false, `${prop} refuses ${bad} (editor without messages)`);
      }
      if (node === 'lstm-train') {
        assert.strictEqual(
          def.defaults.units.validate('2.5', { label: 'units' }),
          'units must be an integer from 1 to 1024',
        );
        assert.strictEqual(
          def.defaults.learningRate.validate('0', { label: 'lr' }),
          'lr must be a number between 0 and 1 (exclusive)',
        );
      }
    });

    it(`${node}: the README's table lists every declared setting with its default`, function () {
      const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const block = readme.slice(
        readme.indexOf(`<!-- generated:${node} -->`),
        readme.indexOf(`<!-- end generated:${node} -->`),
      );
      const rows = block.split('\n').filter((l) => /^\| `/.test(l));
      assert.strictEqual(rows.length, entries.length, `one row per setting in the ${node} table`);
      entries.forEach(([key, s], i) => {
        const cells = rows[i].split(' | ');
        assert.strictEqual(cells[0], `| \`${s.nodeKey || key}\``);
        assert.strictEqual(cells[1], s.default === '' ? '(empty)' : `\`${s.default}\``);
        assert.strictEqual(cells[2], expectation(s));
      });
    });
  }

  it('the files are up to date with the declarations (scripts/settings-docs.js --check)', function () {
    const { render } = require('../../scripts/settings-docs');
    for (const [file, text] of Object.entries(render())) {
      assert.strictEqual(fs.readFileSync(file, 'utf8'), text, `${path.relative(ROOT, file)} is up to date`);
    }
  });
});
