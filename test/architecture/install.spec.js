'use strict';
// What a palette install runs: the lockfile's production tree (all that npm installs with the palette
// manager's `--omit=dev`, optional packages included) must hold no package with an install script. The
// one there was the optional @tensorflow/tfjs-node, whose script downloads libtensorflow on every install
// and every update, fails without internet and on ARM, and where it succeeds brings the umbrella
// @tensorflow/tfjs back; it is a documented opt-in now (README, Install).
const assert = require('assert');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const pkg = require(path.join(ROOT, 'package.json'));
const lock = require(path.join(ROOT, 'package-lock.json'));

describe('architecture: a palette install', function () {
  const production = Object.entries(lock.packages).filter(([where, p]) => where !== '' && !p.dev);

  it('reads the production tree from the lockfile, which matches package.json', function () {
    assert.ok(production.length > 0, 'the lockfile lists production packages');
    for (const name of Object.keys(pkg.dependencies))
      assert.ok(lock.packages[`node_modules/${name}`], `${name} is in the lockfile`);
    assert.deepStrictEqual(lock.packages[''].dependencies, pkg.dependencies);
    assert.deepStrictEqual(lock.packages[''].optionalDependencies, pkg.optionalDependencies);
  });

  it('runs no install script (no dependency, optional or not, has one)', function () {
    const withScript = production.filter(([, p]) => p.hasInstallScript).map(([where]) => where);
    assert.deepStrictEqual(withScript, []);
  });

  it('installs no optional dependency', function () {
    assert.deepStrictEqual(pkg.optionalDependencies ?? {}, {});
  });
});
