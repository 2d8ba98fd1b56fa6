#!/usr/bin/env node
// kill -9 safety (issue #16 target): N trials each of `igpg zoo build` and `igpg prior train`, each killed with
// SIGKILL at a seeded random moment mid-run, then resumed; a trial is lost when the resumed result differs from an
// uninterrupted run (manifest sha256s for the zoo, final weights sha256 for the prior) or the resume fails.
// Usage: node bench/suites/kill-trials.mjs   (env: KILL_TRIALS=10). Writes bench/results/kill-trials.json.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const trials = Number(process.env.KILL_TRIALS ?? 10);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-kill-'));
const env = { ...process.env, IGPG_BACKEND: 'wasm' };
const zooCfg = path.join(dir, 'zoo.json'), pipe = path.join(dir, 'pipe.json');
fs.writeFileSync(zooCfg, JSON.stringify({ name: 'kill', tasks: ['blobs-4:all', 'spirals-3:all'], architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }],
  seeds: 4, epochs: [2, 4], optimizer: { learningRate: 0.05, batchSize: 16 }, trainLimit: 400, testLimit: 100 }));
fs.writeFileSync(pipe, JSON.stringify({ tokenizer: { chunkSize: 8 }, vqvae: { steps: 20, batchSize: 32, checkpointEvery: 10, model: { codebookSize: 16, codesPerChunk: 2, hidden: [8] } },
  prior: { dModel: 16, nLayers: 1, nHeads: 2, contextLength: 32, instructionBuckets: 64, architectureBuckets: 64 }, priorTrain: { steps: 40, batchSize: 4, checkpointEvery: 4 }, supportK: 2 }));

const run = (args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`igpg ${args.join(' ')} failed: ${r.stderr}`);
};
const sha = (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const zooDigest = (z) => JSON.stringify(JSON.parse(fs.readFileSync(path.join(z, 'manifest.json'), 'utf8')).entries.map((e) => [e.id, e.weights.sha256]));
const priorDigest = (p) => sha(path.join(p, JSON.parse(fs.readFileSync(path.join(p, 'checkpoint.json'), 'utf8')).weights.file));
let seed = 16;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const until = async (cond, ms) => { const end = Date.now() + ms; while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10)); };

/** Start `args`, wait for `ready()`, then a random 0-1.5 s more, SIGKILL; returns whether it was killed mid-run. */
async function killed(args, ready) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  await until(() => ready() || exited, 300_000);
  await new Promise((r) => setTimeout(r, rand() * 1500));
  const mid = !exited;
  child.kill('SIGKILL');
  await until(() => exited, 10_000);
  return mid;
}

const t0 = Date.now();
const save = (r) => {
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/kill-trials.json'), JSON.stringify({ ...r, seconds: (Date.now() - t0) / 1000 }, null, 2) + '\n');
};
const refZoo = path.join(dir, 'zoo-ref'), vq = path.join(dir, 'vq'), refPrior = path.join(dir, 'prior-ref');
run(['zoo', 'build', '--config', zooCfg, '--out', refZoo, '--workers', '2']);
run(['vqvae', 'train', '--zoo', refZoo, '--out', vq, '--config', pipe]);
run(['prior', 'train', '--zoo', refZoo, '--vqvae', vq, '--out', refPrior, '--config', pipe]);
const result = { trials, zoo: { lost: 0, killedMidRun: 0 }, prior: { lost: 0, killedMidRun: 0 }, failures: [] };
for (let i = 0; i < trials; i++) {
  const z = path.join(dir, `zoo-${i}`);
  const entries = path.join(z, 'entries');
  const count = () => (fs.existsSync(entries) ? fs.readdirSync(entries, { recursive: true }).filter((f) => String(f).endsWith('.json')).length : 0);
  if (await killed(['zoo', 'build', '--config', zooCfg, '--out', z, '--workers', '2'], () => count() >= 1)) result.zoo.killedMidRun++;
  try { run(['zoo', 'build', '--config', zooCfg, '--out', z, '--workers', '2']); if (zooDigest(z) !== zooDigest(refZoo)) throw new Error('differs'); } catch (e) { result.zoo.lost++; result.failures.push(`zoo ${i}: ${e.message}`); }
  const p = path.join(dir, `prior-${i}`);
  if (await killed(['prior', 'train', '--zoo', refZoo, '--vqvae', vq, '--out', p, '--config', pipe], () => fs.existsSync(path.join(p, 'run', 'checkpoint.json')))) result.prior.killedMidRun++;
  try { run(['prior', 'train', '--zoo', refZoo, '--vqvae', vq, '--out', p, '--config', pipe]); if (priorDigest(p) !== priorDigest(refPrior)) throw new Error('differs'); } catch (e) { result.prior.lost++; result.failures.push(`prior ${i}: ${e.message}`); }
  process.stderr.write(`trial ${i + 1}/${trials}: zoo lost ${result.zoo.lost}, prior lost ${result.prior.lost}\n`);
  save({ ...result, done: i + 1 }); // written after every trial, so a stopped run still reports what it did
}
console.log(JSON.stringify(result));
fs.rmSync(dir, { recursive: true, force: true });
