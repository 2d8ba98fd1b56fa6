import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// A plain script against the built packages: one call, then architectures and datasets are there and tensors work.
const dist = path.resolve(__dirname, '../dist/index.js');

describe('init()', () => {
  it('registers the built-in architectures and datasets and starts the backend in one call', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-init-'));
    const file = path.join(dir, 'script.cjs');
    fs.writeFileSync(file, [
      `const igpg = require(${JSON.stringify(dist)});`,
      '(async () => {',
      "  const info = await igpg.init({ backend: 'wasm', threads: 1 });",
      "  const net = igpg.getArchitecture('cnn-s').build({ inputShape: [28, 28, 1], classes: 10 }, 1);",
      "  console.log(JSON.stringify({ backend: info.name, archs: igpg.listArchitectures().length, mnist: igpg.getDataset('mnist').classes.length, params: net.params.length }));",
      '  await igpg.init({ backend: "wasm", threads: 1 }); // idempotent',
      "  await igpg.init({ plugins: ['@igpg/no-such-plugin'] }).catch((e) => console.log(e.message));",
      '})();',
    ].join('\n'));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const [first, err] = r.stdout.trim().split('\n');
    expect(JSON.parse(first)).toMatchObject({ backend: 'wasm', mnist: 10, params: 10 });
    expect(JSON.parse(first).archs).toBeGreaterThanOrEqual(5);
    expect(err).toMatch(/^init: cannot load plugin "@igpg\/no-such-plugin".*install it/);
  });
});
