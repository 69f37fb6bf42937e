'use strict';

/** Sliding windows (stride 1) of one univariate series: [N][L][1] inputs and [N][H][1] targets. */
function slidingWindows(y, L, H) {
  const inputs = [];
  const targets = [];
  for (let o = L; o + H <= y.length; o++) {
    inputs.push(y.slice(o - L, o).map((v) => [v]));
    targets.push(y.slice(o, o + H).map((v) => [v]));
  }
  return { inputs, targets };
}

module.exports = { slidingWindows };
