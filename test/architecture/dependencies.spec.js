'use strict';
// The dependency rules of the README's Development section, checked on src/.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { CORE_LAYERS, readGraph, findCycles, layeringViolations } = require('../helpers/imports');

const SRC = path.join(__dirname, '..', '..', 'src');

/** Writes a small source tree and returns its root. */
function tree(files) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe('architecture: dependencies point one way', function () {
  const graph = readGraph(SRC);

  it('reads the import graph of src/ (every core folder, the glue, the entry points)', function () {
    const ids = Object.keys(graph);
    for (const layer of CORE_LAYERS)
      assert.ok(
        ids.some((id) => id.startsWith(`core/${layer}/`)),
        `core/${layer} has files`,
      );
    assert.ok(graph['lstm-train'].local.includes('glue/train-settings'), 'an entry point imports its glue');
    assert.ok(graph['core/model/graph'].local.includes('core/model/gca'), 'the registry imports the model types');
  });

  it('has no import cycle', function () {
    assert.deepStrictEqual(
      findCycles(graph).map((c) => c.join(' -> ')),
      [],
    );
  });

  it('has no upward import in the core, no Node-RED in the core, and no glue, CLI or entry point imported where it must not be', function () {
    assert.deepStrictEqual(layeringViolations(graph), []);
  });

  it("imports TensorFlow.js only as the packages it depends on, never the umbrella '@tensorflow/tfjs'", function () {
    // The umbrella may sit in node_modules (tfjs-node, an opt-in, brings it), so a stray import would compile
    // and pass here, then fail after a palette install, which has only tfjs-core, tfjs-layers and the backends.
    const deps = Object.keys(require('../../package.json').dependencies);
    const tfImports = Object.entries(graph).flatMap(([id, n]) =>
      [...n.external].filter((e) => e.startsWith('@tensorflow/')).map((e) => [id, e]),
    );
    assert.ok(tfImports.length > 0, 'the graph lists the @tensorflow imports');
    const stray = tfImports.filter(([, e]) => !deps.includes(e) && e !== '@tensorflow/tfjs-node');
    assert.deepStrictEqual(stray, []);
  });

  describe('the checks themselves', function () {
    it('find a cycle, also through import type and export-from', function () {
      const root = tree({
        'core/model/a.ts': "import type { B } from './b';\nexport const a = 1;\n",
        'core/model/b.ts': "export { c } from './c';\nexport type B = number;\n",
        'core/model/c.ts': "// import { x } from './ignored';\nimport { a } from './a';\nexport const c = a;\n",
      });
      assert.deepStrictEqual(findCycles(readGraph(root)), [
        ['core/model/a', 'core/model/b', 'core/model/c', 'core/model/a'],
      ]);
    });

    it('find an upward core import, Node-RED in the core, and the core importing the glue', function () {
      const root = tree({
        'core/data/x.ts':
          "import { y } from '../train/y';\nimport type { Node } from 'node-red';\nimport { g } from '../../glue/g';\n",
        'core/train/y.ts': "import { z } from '../base/z';\nexport const y = z;\n",
        'core/base/z.ts': 'export const z = 1;\n',
        'glue/g.ts': "import { y } from '../core/train/y';\nexport const g = y;\n",
        'cli/main.ts': "import { g } from '../glue/g';\n",
      });
      assert.deepStrictEqual(layeringViolations(readGraph(root)).sort(), [
        'cli/main (cli) imports glue/g (glue)',
        'core/data/x (core) imports glue/g (glue)',
        'core/data/x imports Node-RED (the core never does)',
        'core/data/x imports upward: core/train/y (core/train is above core/data)',
      ]);
    });
  });
});
