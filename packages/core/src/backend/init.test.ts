import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, currentBackend, initBackend, shutdownBackend } from './init';

const repo = path.resolve(__dirname, '../../../..');

describe('initBackend', () => {
  afterAll(() => shutdownBackend());

  it('starts wasm with 2 threads, is idempotent, and reports what it did', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    expect(info).toMatchObject({ name: 'wasm', tfName: 'wasm', threads: 2, simd: true });
    expect(info.patchedKernels).toEqual(expect.arrayContaining(['BatchMatMul', 'UnsortedSegmentSum', 'Conv2DBackpropFilter', 'IgpgGelu']));
    expect(await initBackend({ backend: 'wasm', threads: 2 })).toBe(info);
    expect(currentBackend()).toBe(info);
    const one = await initBackend({ backend: 'wasm', threads: 1 });
    expect(one.threads).toBe(1);
    const cpu = await initBackend({ backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(cpu.name).toBe('cpu');
  });

  it('refuses an unavailable or unknown backend, listing the available ones', async () => {
    const node = availableBackends().find((b) => b.name === 'tfjs-node')!;
    if (!node.available) await expect(initBackend({ backend: 'tfjs-node' })).rejects.toThrow(/tfjs-node is not installed[\s\S]*Available: .*wasm, cpu/);
    await expect(initBackend({ backend: 'webgl' as never })).rejects.toThrow(/unknown backend 'webgl'; use one of tfjs-node-gpu, tfjs-node, wasm, cpu/);
    const saved = process.env.IGPG_BACKEND;
    process.env.IGPG_BACKEND = 'nope';
    try {
      await expect(initBackend()).rejects.toThrow(/IGPG_BACKEND: unknown backend 'nope'/);
    } finally {
      if (saved === undefined) delete process.env.IGPG_BACKEND;
      else process.env.IGPG_BACKEND = saved;
    }
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it('a node process training on 2-thread wasm exits by itself after shutdownBackend()', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-exit-'));
    const script = path.join(dir, 'exit.ts');
    fs.writeFileSync(script, [
      `import * as tf from '@tensorflow/tfjs-core';`,
      `import { initBackend, shutdownBackend } from ${JSON.stringify(path.join(__dirname, 'init'))};`,
      `(async () => {`,
      `  const info = await initBackend({ backend: 'wasm', threads: 2 });`,
      `  const w = tf.variable(tf.randomNormal([64, 64], 0, 1, 'float32', 1));`,
      `  tf.train.adam(0.01).minimize(() => tf.sum(tf.square(tf.matMul(w, w, false, true))));`,
      `  console.log('threads=' + info.threads);`,
      `  shutdownBackend();`,
      `})();`,
    ].join('\n'));
    const tsx = path.join(repo, 'node_modules/.bin/tsx');
    // NODE_PATH: the script lives outside the repository but imports its packages.
    const env = { ...process.env, NODE_PATH: path.join(repo, 'node_modules') };
    const r = spawnSync(tsx, [script], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.error).toBeUndefined(); // a timeout (process kept alive by workers) shows here
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('threads=2');
  });
});
