'use strict';
// Shared by the fuzz specs: feeds generated messages to nodes in batches of 20, each batch awaited.

/**
 * Sends `count` messages (`next(j)`) to `nodeFor(j)`, 20 at a time. A message is finished when the spec's
 * output or error listener calls the function `waiting` holds under its _msgid; one not finished within
 * `timeoutMs` counts as silent. `afterBatch(i)` runs after each batch (i: the batch's first index).
 * @returns the _msgids of the silent messages.
 */
async function deliverInBatches(count, next, nodeFor, waiting, afterBatch, timeoutMs = 10000) {
  const silent = [];
  for (let i = 0; i < count; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 20); j++) {
      const msg = next(j);
      const node = nodeFor(j);
      batch.push(
        new Promise((resolve) => {
          const t = setTimeout(() => {
            waiting.delete(msg._msgid);
            silent.push(msg._msgid);
            resolve();
          }, timeoutMs);
          waiting.set(msg._msgid, () => {
            clearTimeout(t);
            resolve();
          });
          node.receive(msg);
        }),
      );
    }
    await Promise.all(batch);
    afterBatch(i);
  }
  return silent;
}

module.exports = { deliverInBatches };
