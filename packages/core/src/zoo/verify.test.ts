import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildZoo } from './build';
import { readManifest } from './manifest';
import { encodeSafetensors, decodeSafetensors } from '../io/safetensors';
import { sha256 } from '../io/atomic';

const plugins = ['@igpg/architectures', '@igpg/datasets'];
const tiny = {
  name: 'verify', tasks: ['blobs-4:all'], architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'mlp4' }],
  seeds: 4, epochs: [1], optimizer: { learningRate: 0.1, batchSize: 32 }, trainLimit: 100, testLimit: 50,
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-verify-'));
const digests = (dir: string) => Object.fromEntries(readManifest(dir).entries.map((e) => [e.id, e.weights.sha256]));

describe('zoo resume verification', () => {
  it('rebuilds byte-flipped, deleted and all-NaN checkpoints instead of skipping them, and says which', async () => {
    const out = tmp();
    await buildZoo(tiny, { out, plugins, workers: 1, progress: false });
    const before = digests(out);
    const [a, b, c] = readManifest(out).entries;
    // a: one byte flipped; b: deleted; c: all NaN with a matching size/sha256 recorded (a checksum alone passes it)
    const fa = path.join(out, a.weights.file);
    const bytes = fs.readFileSync(fa);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(fa, bytes);
    fs.rmSync(path.join(out, b.weights.file));
    const fc = path.join(out, c.weights.file);
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(fc));
    for (const t of Object.values(tensors)) t.data.fill(NaN);
    const nan = encodeSafetensors(tensors, metadata);
    fs.writeFileSync(fc, nan);
    const rec = path.join(out, 'entries', `${c.id.replace(/:/g, '__')}.json`.replace(/\/e1\.json$/, '-e1.json'));
    const entry = JSON.parse(fs.readFileSync(rec, 'utf8'));
    entry.weights = { ...entry.weights, size: nan.length, sha256: sha256(nan) };
    fs.writeFileSync(rec, JSON.stringify(entry));
    expect(() => readManifest(out, { verify: true })).toThrow(); // inspect's check would catch it too

    const r = await buildZoo(tiny, { out, plugins, workers: 1, progress: false });
    expect(r.repaired.map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(r.repaired.find((x) => x.id === a.id)!.problem).toMatch(/checksum/);
    expect(r.repaired.find((x) => x.id === b.id)!.problem).toMatch(/not found/);
    expect(r.repaired.find((x) => x.id === c.id)!.problem).toMatch(/non-finite/);
    expect(r).toMatchObject({ trained: 3, skipped: 1 });
    readManifest(out, { verify: true });
    expect(digests(out)).toEqual(before); // rebuilt deterministically, bit for bit
  });

  it('a folder left by a run that failed before recording anything takes a corrected config', async () => {
    const out = tmp();
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ broken: true }));
    const r = await buildZoo({ ...tiny, seeds: 1 }, { out, plugins, workers: 1, progress: false });
    expect(r.trained).toBe(1);
  });

  it('workers exit within 1.5 s when their coordinator is killed (kill -9)', async () => {
    const out = tmp();
    const cfg = path.join(out, 'cfg.json');
    // a job long enough that a worker is mid-epoch when its parent dies
    fs.writeFileSync(cfg, JSON.stringify({ ...tiny, tasks: ['mnist:0+1'], architectures: [{ name: 'mlp', spec: { hidden: [256] }, label: 'mlp256' }], seeds: 2, epochs: [60], optimizer: { learningRate: 0.01, batchSize: 4 }, trainLimit: 3000 })); // epochs of seconds: without the ppid poll the workers lived 4.5 s
    const script = `require(${JSON.stringify(path.join(__dirname, 'plugins.ts'))}).aliasWorkspaceSources();
      const { buildZoo } = require(${JSON.stringify(path.join(__dirname, 'build.ts'))});
      buildZoo(JSON.parse(require('fs').readFileSync(${JSON.stringify(cfg)}, 'utf8')), { out: ${JSON.stringify(path.join(out, 'zoo'))}, plugins: ${JSON.stringify(plugins)}, workers: 2, progress: false });`;
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '-e', script], { stdio: 'ignore' });
    const kids = () => {
      try {
        return fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    // running = not gone and not a zombie (an exited worker waits as a zombie until its new parent reaps it)
    const alive = (pid: number) => { try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
    const deadline = Date.now() + 150_000;
    let workers: number[] = [];
    // wait until both workers are deep in training: 4 s of CPU each is past module loading, backend start and the
    // data, inside an epoch that takes seconds (CPU time, not wall time: the machine may be busy)
    const cpuSeconds = (pid: number) => { try { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; } catch { return 0; } };
    while ((workers = kids()).length < 2 || workers.some((w) => cpuSeconds(w) < 4)) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(workers.length).toBe(2);
    expect(fs.existsSync(path.join(out, 'zoo', 'entries'))).toBe(false); // still in the first epoch
    child.kill('SIGKILL');
    const killedAt = Date.now();
    while (workers.some(alive) && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(workers.filter(alive)).toEqual([]);
    expect(Date.now() - killedAt).toBeLessThan(1500);
  }, 200_000);
});
