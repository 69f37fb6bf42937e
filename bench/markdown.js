'use strict';
// What the benches share to print their results.

/** A Markdown table of `header` and `rows` (arrays of cell texts). */
function mdTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

module.exports = { mdTable };
