#!/usr/bin/env node
'use strict';
/**
 * Writes what derives from the settings declarations (src/core/settings, read
 * compiled from nodes/core/settings) into the hand-written files around them:
 * - the editor's defaults and validators: the blocks between
 *   `generated:<name>` markers in nodes/lstm-train.html and nodes/sequence-windower.html;
 * - the README's settings tables, between `<!-- generated:<name> -->` markers;
 * - the `errors` section of each node's catalogue (nodes/locales/en-US/<node>.json): every error text declared
 *   in src/core/base/messages.ts (compiled: nodes/core/base/messages.js), nested by the dots of its id, so that
 *   the glue's RED._('<node>.errors.<id>', values) finds it (Node-RED loads one catalogue per node file, under
 *   the node set's own namespace: each node's file carries the whole section, as any core error can reach it).
 * `npm run build` runs it after tsc, so the editor and the docs follow a change
 * to a declaration; test/glue/settings-docs.spec.js checks the result.
 *
 *   node scripts/settings-docs.js           write the files
 *   node scripts/settings-docs.js --check   exit 1 when a file is not up to date
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SETTINGS = path.join(ROOT, 'nodes', 'core', 'settings');

function load() {
  const { expectation } = require(path.join(SETTINGS, 'declare.js'));
  const { MODEL_SETTINGS } = require(path.join(SETTINGS, 'model.js'));
  const { TRAINING_SETTINGS } = require(path.join(SETTINGS, 'training.js'));
  const { TRAIN_NODE_SETTINGS } = require(path.join(SETTINGS, 'train-node.js'));
  const { WINDOWER_SETTINGS } = require(path.join(SETTINGS, 'windower.js'));
  const { MODEL_LOCATION_SETTINGS } = require(path.join(SETTINGS, 'location.js'));
  const { PREDICT_NODE_SETTINGS } = require(path.join(SETTINGS, 'predict-node.js'));
  const { INSPECTOR_NODE_SETTINGS } = require(path.join(SETTINGS, 'inspector-node.js'));
  const inEditor = (group) => Object.entries(group).filter(([, s]) => s.editor !== false);
  return {
    expectation,
    nodes: {
      'sequence-windower': inEditor(WINDOWER_SETTINGS),
      'lstm-train': [
        ...inEditor(MODEL_LOCATION_SETTINGS),
        ...inEditor(MODEL_SETTINGS),
        ...inEditor(TRAINING_SETTINGS),
        ...inEditor(TRAIN_NODE_SETTINGS),
      ],
      'lstm-predict': [...inEditor(MODEL_LOCATION_SETTINGS), ...inEditor(PREDICT_NODE_SETTINGS)],
      'attention-inspector': inEditor(INSPECTOR_NODE_SETTINGS),
    },
  };
}

/** The validator spec the editor's `setting()` reads: bounds and the sentence for the message. */
function validatorSpec(s, expectation) {
  const spec = { type: s.type };
  for (const k of ['enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'maxLength', 'pattern']) {
    if (s[k] !== undefined) spec[k] = s[k];
  }
  spec.expect = expectation(s);
  return JSON.stringify(spec);
}

/** The editor's validator factory (ES5: it runs in the browser). Returns true, or a message naming the field. */
const HELPER = [
  '    // A validator from a setting declaration: true, or a message saying what the field accepts.',
  '    function setting(s) {',
  '        return function (v, opt) {',
  '            var ok;',
  '            if (s.enum) { ok = s.enum.indexOf(v) >= 0; }',
  "            else if (s.type === 'boolean') { ok = v === true || v === false || v === 'true' || v === 'false'; }",
  "            else if (s.type === 'string') {",
  "                ok = typeof v === 'string' && (s.maxLength === undefined || v.length <= s.maxLength) &&",
  '                    (s.pattern === undefined || new RegExp(s.pattern).test(v));',
  '            }',
  '            else {',
  '                var n = Number(v);',
  "                ok = v !== '' && v !== null && isFinite(n) && (s.type !== 'integer' || Math.floor(n) === n) &&",
  '                    (s.minimum === undefined || n >= s.minimum) && (s.maximum === undefined || n <= s.maximum) &&',
  '                    (s.exclusiveMinimum === undefined || n > s.exclusiveMinimum) &&',
  '                    (s.exclusiveMaximum === undefined || n < s.exclusiveMaximum);',
  '            }',
  "            return ok || (opt && opt.label ? opt.label + ' must be ' + s.expect : false);",
  '        };',
  '    }',
];

function editorDefaults(entries, expectation) {
  return entries.map(([key, s]) => {
    const value = typeof s.default === 'string' ? `'${s.default.replace(/'/g, "\\'")}'` : JSON.stringify(s.default);
    return `            ${s.nodeKey || key}: { value: ${value}, validate: setting(${validatorSpec(s, expectation)}) },`;
  });
}

function readmeTable(entries, expectation) {
  const rows = entries.map(([key, s]) => {
    const def =
      typeof s.default === 'string' ? (s.default === '' ? '(empty)' : `\`${s.default}\``) : `\`${s.default}\``;
    return `| \`${s.nodeKey || key}\` | ${def} | ${expectation(s)} | ${s.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| setting | default | accepts | what it does |', '|---|---|---|---|', ...rows];
}

/** The declared error texts as the nested object i18next reads ('a.b' -> {a: {b}}). */
function errorsSection() {
  const { MESSAGES } = require(path.join(ROOT, 'nodes', 'core', 'base', 'messages.js'));
  const out = {};
  for (const [id, template] of Object.entries(MESSAGES)) {
    const parts = id.split('.');
    let at = out;
    for (const part of parts.slice(0, -1)) {
      if (typeof at[part] === 'string') throw new Error(`message id '${id}': '${part}' is also a text`);
      at = at[part] ??= {};
    }
    const last = parts[parts.length - 1];
    if (at[last] !== undefined) throw new Error(`message id '${id}' is declared twice or is also a group`);
    at[last] = template;
  }
  return out;
}

/** Replaces the lines between `start` and `end` markers (exclusive) with `lines`. */
function replaceBlock(text, file, name, start, end, lines) {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file}: markers for '${name}' not found (${start} ... ${end})`);
  const from = text.indexOf('\n', a) + 1;
  const to = text.lastIndexOf('\n', b) + 1;
  return text.slice(0, from) + lines.map((l) => l + '\n').join('') + text.slice(to);
}

function render() {
  const { expectation, nodes } = load();
  const files = {};
  for (const [node, entries] of Object.entries(nodes)) {
    const file = path.join(ROOT, 'nodes', `${node}.html`);
    let html = fs.readFileSync(file, 'utf8');
    html = replaceBlock(html, file, 'helpers', '// generated:helpers', '// end generated:helpers', HELPER);
    html = replaceBlock(
      html,
      file,
      'defaults',
      '// generated:defaults',
      '// end generated:defaults',
      editorDefaults(entries, expectation),
    );
    files[file] = html;
  }
  const readmePath = path.join(ROOT, 'README.md');
  let readme = fs.readFileSync(readmePath, 'utf8');
  for (const [node, entries] of Object.entries(nodes)) {
    readme = replaceBlock(
      readme,
      readmePath,
      node,
      `<!-- generated:${node} -->`,
      `<!-- end generated:${node} -->`,
      readmeTable(entries, expectation),
    );
  }
  files[readmePath] = readme;
  const errors = errorsSection();
  for (const node of Object.keys(nodes)) {
    const file = path.join(ROOT, 'nodes', 'locales', 'en-US', `${node}.json`);
    const catalogue = JSON.parse(fs.readFileSync(file, 'utf8'));
    catalogue[node].errors = errors;
    files[file] = JSON.stringify(catalogue, null, 4) + '\n';
  }
  return files;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [file, text] of Object.entries(render())) {
    if (fs.readFileSync(file, 'utf8') === text) continue;
    if (check) stale.push(path.relative(ROOT, file));
    else fs.writeFileSync(file, text);
  }
  if (stale.length) {
    process.stderr.write(
      `not up to date with src/core/settings and src/core/base/messages.ts (run npm run build): ${stale.join(', ')}\n`,
    );
    process.exit(1);
  }
}

module.exports = { render };
