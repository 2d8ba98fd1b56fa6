import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildZoo } from './build';
import { readManifest } from './manifest';
import { loadNetworkSafetensors } from '../io/safetensors';

// Real plugins, loaded the way the CLI loads them (here and in every worker).
const plugins = ['@igpg/architectures', '@igpg/datasets'];
const tiny = {
  name: 'tiny',
  tasks: ['blobs-4:all', { dataset: 'spirals-3', classes: ['arm-0', 'arm-2'] }],
  architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }],
  seeds: 6,
  epochs: [1, 3],
  optimizer: { learningRate: 0.1, batchSize: 16 },
  trainLimit: 200,
  testLimit: 100,
  heldOut: { tasks: ['spirals-3:arm-0+arm-2'], seeds: [1] },
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-zoo-'));
const digests = (dir: string) => Object.fromEntries(readManifest(dir).entries.map((e) => [e.id, e.weights.sha256]));

describe('buildZoo', () => {
  let reference = ''; // the tiny zoo built in one worker, uninterrupted

  it('builds a tiny zoo whose manifest validates and whose files load and match their checksums; a rerun skips everything', async () => {
    const out = (reference = tmp());
    const r = await buildZoo(tiny, { out, plugins, workers: 1, progress: false });
    expect(r.trained).toBe(12); // 2 tasks x 1 arch x 6 seeds
    const m = readManifest(out, { verify: true });
    expect(m.entries).toHaveLength(24); // x 2 checkpoints
    expect(m.entries.map((e) => e.id)).toContain('spirals-3:arm-0+arm-2/mlp8/s5/e3');
    const e = m.entries.find((x) => x.id === 'blobs-4:all/mlp8/s0/e3')!;
    expect(e.test.accuracy).toBeGreaterThan(0.8); // blobs are easy
    expect(e.test.samples).toBe(100);
    expect(e.train.samples).toBe(200);
    expect(e.task.instructions.length).toBeGreaterThan(2);
    expect(e.params).toBe(2 * 8 + 8 + 8 * 4 + 4);
    expect(m.entries.find((x) => x.id === 'spirals-3:arm-0+arm-2/mlp8/s0/e1')!.heldOut).toEqual({ task: true, seed: false });
    expect(m.entries.find((x) => x.id === 'blobs-4:all/mlp8/s1/e1')!.heldOut).toEqual({ task: false, seed: true });
    const w = loadNetworkSafetensors(path.join(out, e.weights.file));
    expect(w.arch).toBe('mlp');
    expect(w.flat.length).toBe(e.params);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).name).toBe('tiny');

    const again = await buildZoo(tiny, { out, plugins, workers: 2, progress: false });
    expect(again).toMatchObject({ trained: 0, skipped: 12 });

    // A corrupted weight file is caught by verify.
    const copy = tmp();
    fs.cpSync(out, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, e.weights.file), 'x');
    expect(() => readManifest(copy, { verify: true })).toThrow(/size .* expected/);
  });

  it('refuses to resume into a folder built from another config', async () => {
    const out = tmp();
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ other: true }));
    fs.mkdirSync(path.join(out, 'entries'));
    fs.writeFileSync(path.join(out, 'entries', 'x-e1.json'), '{}'); // a checkpoint of the other config is recorded
    await expect(buildZoo(tiny, { out, plugins, workers: 1, progress: false })).rejects.toThrow(/another config/);
  });

  it('survives kill -9 mid-build: the manifest stays valid and a resumed 2-worker build equals the 1-worker one bit for bit', async () => {
    const out = tmp();
    const cfgFile = path.join(out, '..', `${path.basename(out)}.json`);
    fs.writeFileSync(cfgFile, JSON.stringify(tiny));
    // Run the build in its own process, as the CLI would, and SIGKILL it once a few networks are recorded.
    const script = `require(${JSON.stringify(path.join(__dirname, 'plugins.ts'))}).aliasWorkspaceSources();
      const { buildZoo } = require(${JSON.stringify(path.join(__dirname, 'build.ts'))});
      buildZoo(JSON.parse(require('fs').readFileSync(${JSON.stringify(cfgFile)}, 'utf8')), { out: ${JSON.stringify(out)}, plugins: ${JSON.stringify(plugins)}, workers: 2, progress: false });`;
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '-e', script], { stdio: 'inherit' });
    let exited = false;
    child.once('exit', () => (exited = true));
    const entries = path.join(out, 'entries');
    const count = () => (fs.existsSync(entries) ? (fs.readdirSync(entries, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).length : 0);
    const deadline = Date.now() + 90_000;
    while (count() < 3 && !exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(exited).toBe(false);
    child.kill('SIGKILL');
    while (!exited) await new Promise((r) => setTimeout(r, 20));
    const recorded = count();
    expect(recorded).toBeGreaterThanOrEqual(3);
    expect(recorded).toBeLessThan(24); // killed mid-run
    if (fs.existsSync(path.join(out, 'manifest.json'))) readManifest(out, { verify: true }); // whole, or absent
    fs.rmSync(cfgFile);

    const r = await buildZoo(tiny, { out, plugins, workers: 2, progress: false });
    expect(r.skipped).toBeLessThan(12);
    expect(r.trained + r.skipped).toBe(12);
    readManifest(out, { verify: true });
    expect(digests(out)).toEqual(digests(reference));
  });
});
