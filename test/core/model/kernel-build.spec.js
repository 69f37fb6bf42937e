'use strict';
// The committed nodes/kernel/lstm.wasm is what src/kernel/lstm.ts compiles to (so a git or
// registry install, which does not run asc, ships the kernel its source describes).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..', '..');

describe('core/model/kernel: the committed wasm', function () {
  this.timeout(120000);

  it('is byte for byte what scripts/build-kernel.js compiles from src/kernel/lstm.ts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kernel-build-'));
    try {
      const out = path.join(dir, 'lstm.wasm');
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-kernel.js'), '--out', out], {
        timeout: 110000,
      });
      const built = fs.readFileSync(out);
      const committed = fs.readFileSync(path.join(ROOT, 'nodes', 'kernel', 'lstm.wasm'));
      assert.ok(built.length > 1000, `a real module (${built.length} bytes)`);
      assert.ok(built.equals(committed), `rebuilt ${built.length} bytes differ from the committed ${committed.length}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is in the published files (package.json "files" holds nodes/) and not git-ignored', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('nodes/'));
    // exit status 1: not ignored, so `git add` and `npm pack` take it
    const r = spawnSync('git', ['check-ignore', '-q', 'nodes/kernel/lstm.wasm'], { cwd: ROOT, timeout: 10000 });
    assert.strictEqual(r.status, 1);
  });
});
