'use strict';
/**
 * Reads the import graph of src/ (static imports, `import type`, `export ... from`,
 * dynamic `import()` and `require()` with a literal path) and checks it against
 * the layering the README's Development section states.
 */
const fs = require('fs');
const path = require('path');

/** Core folders, lowest first: a core file imports only from its own folder or a lower one. */
const CORE_LAYERS = ['base', 'settings', 'data', 'model', 'train', 'serve', 'analysis'];

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Drops comments so an import named in a doc comment is not read as one. */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/**
 * The import graph of a source tree: file (relative to `root`, no extension) ->
 * { local: [files it imports], external: [package names] }.
 */
function readGraph(root) {
  const graph = {};
  for (const file of walk(root)) {
    const id = path.relative(root, file).replace(/\\/g, '/').replace(/\.ts$/, '');
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    const local = new Set();
    const external = new Set();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1];
      if (spec.startsWith('.')) {
        local.add(path.posix.normalize(path.posix.join(path.posix.dirname(id), spec)).replace(/\.(js|ts)$/, ''));
      } else {
        external.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    graph[id] = { local: [...local], external: [...external] };
  }
  return graph;
}

/** Every import cycle (as a list of files, the first repeated at the end), by depth-first search. */
function findCycles(graph) {
  const cycles = [];
  const state = {};
  const stack = [];
  const visit = (n) => {
    state[n] = 'open';
    stack.push(n);
    for (const m of graph[n]?.local ?? []) {
      if (state[m] === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state[m] && graph[m]) visit(m);
    }
    stack.pop();
    state[n] = 'done';
  };
  for (const n of Object.keys(graph).sort()) if (!state[n]) visit(n);
  return cycles;
}

/** Where a file sits: its core layer index, or its area ('glue', 'cli', 'context', 'entry'). */
function areaOf(id) {
  const parts = id.split('/');
  if (parts[0] === 'core') return { area: 'core', layer: CORE_LAYERS.indexOf(parts[1]), folder: parts[1] };
  if (parts.length === 1) return { area: 'entry' };
  return { area: parts[0] };
}

/** Which areas each area may import from (besides itself). */
const MAY_IMPORT = {
  core: [],
  glue: ['core'],
  entry: ['core', 'glue'],
  cli: ['core'],
  context: [],
};

/** Every import that breaks the layering, as readable sentences. */
function layeringViolations(graph) {
  const out = [];
  for (const [from, { local, external }] of Object.entries(graph)) {
    const a = areaOf(from);
    if (a.area === 'core' && a.layer < 0) out.push(`${from}: core/${a.folder} is not one of ${CORE_LAYERS.join(', ')}`);
    if (a.area === 'core' && external.some((p) => p === 'node-red' || p.startsWith('@node-red'))) {
      out.push(`${from} imports Node-RED (the core never does)`);
    }
    for (const to of local) {
      const b = areaOf(to);
      if (a.area === 'core' && b.area === 'core') {
        if (b.layer > a.layer) out.push(`${from} imports upward: ${to} (core/${b.folder} is above core/${a.folder})`);
      } else if (a.area !== b.area && !MAY_IMPORT[a.area]?.includes(b.area)) {
        out.push(`${from} (${a.area}) imports ${to} (${b.area})`);
      }
    }
  }
  return out;
}

module.exports = { CORE_LAYERS, readGraph, findCycles, layeringViolations };
