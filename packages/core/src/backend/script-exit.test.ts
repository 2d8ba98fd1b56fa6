import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Plain Node scripts, as a user writes them, against the built package (dist): they must exit by themselves
// when their work is done, and an error they throw must be the only thing on stderr.
const dist = path.resolve(__dirname, '../../dist/index.js');

function runScript(threads: number, tail: string): { status: number | null; stderr: string; stdout: string; ms: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-script-'));
  const file = path.join(dir, 'user-script.cjs');
  fs.writeFileSync(file, [
    `const igpg = require(${JSON.stringify(dist)});`,
    `const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});`,
    '(async () => {',
    `  await igpg.initBackend({ backend: 'wasm', threads: ${threads} });`,
    '  const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));',
    "  console.log('sum', (await tf.sum(y).data())[0]);",
    `  ${tail}`,
    '})();',
  ].join('\n'));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - t0 };
}

describe('a script using initBackend()', () => {
  it.each([1, 2])('exits by itself without shutdownBackend() (%i wasm threads)', (threads) => {
    const r = runScript(threads, '');
    expect(r.status, `stderr: ${r.stderr.slice(0, 300)}`).toBe(0); // null = killed by the 30 s timeout: it hung
    expect(r.stdout).toContain(`sum ${64 ** 3}`);
    expect(r.ms).toBeLessThan(20_000);
  });

  it.each([1, 2])('shows the user its own error and stack only (%i wasm threads)', (threads) => {
    const r = runScript(threads, "throw new Error('my own error from line 7');");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Error: my own error from line 7\n\s+at .*user-script\.cjs:7/);
    expect(r.stderr).not.toContain('GROWABLE_HEAP'); // the minified emscripten glue
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it('an unhandled rejection is reported as such, not rethrown from the glue', () => {
    const r = runScript(2, "await Promise.reject(new Error('rejected here'));");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('rejected here');
    expect(r.stderr).not.toContain('GROWABLE_HEAP');
    expect(r.stderr.length).toBeLessThan(1000);
  });
});
