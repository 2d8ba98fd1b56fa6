// End to end through the real `igpg` binary (built dist): zoo -> vqvae -> prior -> generate -> inspect,
// plus the command-line conventions: exit codes, one-line errors, resume after a kill.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Canonicalizer, loadZooNetworks, nearestCheckpoint, readNetworkFile } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-cli-'));

function igpg(args: string[], timeout = 300_000) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, IGPG_BACKEND: 'wasm' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const zooConfig = {
  name: 'cli-e2e',
  tasks: ['blobs-4:all', 'spirals-3:all'],
  architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }],
  seeds: 6,
  epochs: [4],
  optimizer: { learningRate: 0.05, batchSize: 32 },
  trainLimit: 600,
  testLimit: 300,
  heldOut: { seeds: [5] },
};
const pipelineConfig = {
  tokenizer: { chunkSize: 16 },
  vqvae: { steps: 150, batchSize: 64, checkpointEvery: 50, model: { codebookSize: 64, codesPerChunk: 2, hidden: [32] } },
  prior: { dModel: 32, nLayers: 1, nHeads: 2, contextLength: 32 },
  priorTrain: { steps: 120, batchSize: 8, checkpointEvery: 20, lr: 0.003 },
  supportK: 5,
};

describe('igpg command line', () => {
  beforeAll(() => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    fs.writeFileSync(path.join(dir, 'zoo.json'), JSON.stringify(zooConfig));
    fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(pipelineConfig));
  });

  it('rejects bad usage with exit 2 and a one-line error, no stack trace', () => {
    for (const args of [['bogus'], ['generate', '--instruction', 'x', '--arch', 'mlp', '--n', 'abc'], ['zoo', 'build', '--config', path.join(dir, 'nope.json'), '--out', dir],
      ['generate', '--instruction', '  ', '--arch', 'mlp'], ['--backend', 'tpu', 'inspect', dir], ['demo', '--config', path.join(dir, 'nope.json')]]) {
      const r = igpg(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^igpg: error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(igpg(['--help']).code).toBe(0);
    // `npm run build` links the binary, so `npx igpg` works on a fresh clone
    const linked = spawnSync(path.join(root, 'node_modules/.bin/igpg'), ['--help'], { encoding: 'utf8' });
    expect(linked.status, linked.stderr).toBe(0);
    expect(linked.stdout).toMatch(/Usage: igpg/);
    for (const sub of ['zoo build', 'vqvae train', 'tokenizer train', 'prior train', 'generate', 'inspect', 'demo']) {
      const r = igpg([...sub.split(' '), '--help']);
      expect(r.code, sub).toBe(0);
      expect(r.stdout).toMatch(/Usage: igpg/);
    }
    // `igpg tokenizer train` is the old spelling of `igpg vqvae train`: hidden from the help, it warns, then runs the same command
    expect(igpg(['--help']).stdout).toMatch(/^\s+vqvae\b/m);
    expect(igpg(['--help']).stdout).not.toMatch(/^\s+tokenizer\b/m);
    const old = igpg(['tokenizer', 'train', '--zoo', path.join(dir, 'no-zoo'), '--out', path.join(dir, 'old-spelling')]);
    expect(old.stderr).toMatch(/^igpg: `igpg tokenizer train` is deprecated .*; use `igpg vqvae train` \(same flags\)\n/);
    expect(old.code).toBe(2); // the same command, so the same check of --zoo
    expect(old.stderr).toMatch(/no-zoo/);
  });

  it('reports a corrupt weight file as an error (exit 1), with the stack only under --verbose', () => {
    const bad = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(bad, Buffer.from([1, 2, 3]));
    const r = igpg(['inspect', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(igpg(['--verbose', 'inspect', bad]).stderr).toMatch(/\n\s+at /);
  });

  it('runs zoo -> vqvae -> prior -> generate on a synthetic task, and generated networks beat random init', () => {
    const zoo = path.join(dir, 'zoo'), bundle = path.join(dir, 'bundle'), vq = path.join(bundle, 'vqvae'), prior = path.join(bundle, 'prior'), out = path.join(dir, 'gen');
    let r = igpg(['zoo', 'build', '--config', path.join(dir, 'zoo.json'), '--out', zoo, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).networks).toBe(12);
    r = igpg(['vqvae', 'train', '--zoo', zoo, '--out', vq, '--config', path.join(dir, 'pipeline.json'), '--check', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(vq, 'vqvae.json'))).toBe(true);
    const check = JSON.parse(r.stdout).functionalCheck;
    expect(check.networks).toBe(12); // every checkpoint of the zoo, held-out seed included
    expect(check.fractionWithin).toBeGreaterThanOrEqual(0);
    expect(check.fractionWithin).toBeLessThanOrEqual(1);
    // The check on some seeds and a test subset only (the training run is complete: it resumes at its last step).
    r = igpg(['vqvae', 'train', '--zoo', zoo, '--out', vq, '--config', path.join(dir, 'pipeline.json'), '--check', '--check-seeds', '5', '--check-limit', '40', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).functionalCheck.networks).toBe(2); // seed 5 of both tasks
    expect(igpg(['vqvae', 'train', '--zoo', zoo, '--out', vq, '--check-seeds', '5']).code).toBe(2); // needs --check
    // codebook usage of the trained VQ-VAE over the zoo, as one codebook-usage.jsonl row marked post hoc
    r = igpg(['vqvae', 'usage', '--vqvae', vq, '--zoo', zoo, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ networks: 10, codebookSize: 64 }); // the training networks (held-out seed left out)
    const usage = fs.readFileSync(path.join(vq, 'codebook-usage.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ step: 150, posthoc: expect.stringMatching(/computed after training/) });
    expect(usage[0].codeCounts).toHaveLength(64);
    expect(igpg(['vqvae', 'train', '--zoo', zoo, '--out', vq, '--check', '--check-seeds', '5,x']).stderr).toMatch(/comma-separated/);
    r = igpg(['prior', 'train', '--zoo', zoo, '--vqvae', vq, '--out', prior, '--config', path.join(dir, 'pipeline.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).steps).toBe(120);
    expect(JSON.parse(r.stdout).bundle).toBe(bundle); // vqvae/ + prior/ side by side: indexed as a generator bundle
    expect(fs.existsSync(path.join(bundle, 'config.json'))).toBe(true);
    expect(fs.existsSync(path.join(vq, 'canon.json'))).toBe(true);

    const arch = JSON.stringify({ name: 'mlp', spec: { hidden: [8] } });
    r = igpg(['generate', '--instruction', 'Classify the 4 blobs', '--arch', arch, '--dataset', 'blobs-4:all', '--n', '4', '--seed', '3',
      '--generator', bundle, '--out', out, '--zoo', zoo, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const gen = JSON.parse(r.stdout);
    expect(gen.files).toHaveLength(8); // 4 safetensors + 4 tfjs folders
    for (const f of gen.files) expect(fs.existsSync(f)).toBe(true);
    // Generated weights load back, through inspect, in both formats.
    expect(igpg(['inspect', gen.files[0], '--json']).code).toBe(0);
    expect(JSON.parse(igpg(['inspect', gen.files[4], '--json']).stdout).kind).toBe('tfjs');
    // Random init on 4 classes is near 25%; the generated networks must do clearly better without any training.
    const best = Math.max(...gen.accuracies);
    expect(best).toBeGreaterThan(0.5);
    // The model card's nearest zoo checkpoint (--zoo) is found in the canonical space, as the evaluation does:
    // the zoo's checkpoints aligned by the bundle's canonicalizer (generated networks come out in its unit order).
    const card = JSON.parse(fs.readFileSync(path.join(out, 'generated-0.card.json'), 'utf8'));
    registerBuiltinArchitectures(); // this process reads the files too
    const gen0 = readNetworkFile(path.join(out, 'generated-0.safetensors'));
    const canon = Canonicalizer.load(vq);
    const shapes = (infos: { shape: number[] }[]) => JSON.stringify(infos.map((i) => i.shape));
    const nets = loadZooNetworks(zoo, (e) => e.architecture.name === 'mlp', { lastEpochOnly: true }).filter((n) => shapes(n.infos) === shapes(gen0.infos));
    expect(nets.length).toBeGreaterThan(1);
    const aligned = nearestCheckpoint(gen0.flat, nets.map((n) => canon.align(n.entry.architecture, n.flat).flat));
    expect(card.nearest).toMatchObject({ id: nets[aligned.index].entry.id, space: 'canonical (aligned)' });
    expect(card.nearest.distance).toBeCloseTo(aligned.distance, 5);
    // the alignment moves the other seeds' distances (the canonicalizer's reference seed itself is not permuted)
    const moved = nets.filter((n) => Math.abs(nearestCheckpoint(gen0.flat, [canon.align(n.entry.architecture, n.flat).flat]).distance - nearestCheckpoint(gen0.flat, [n.flat]).distance) > 1e-3);
    expect(moved.length).toBeGreaterThan(0);
    // Same seed, same networks.
    const again = JSON.parse(igpg(['generate', '--instruction', 'Classify the 4 blobs', '--arch', arch, '--dataset', 'blobs-4:all', '--n', '4', '--seed', '3', '--generator', bundle, '--json']).stdout);
    expect(again.accuracies).toEqual(gen.accuracies);
    // No instruction (left out, or empty) but a task: its support images alone condition the generator (issue #11).
    for (const flags of [[], ['--instruction', '']]) {
      r = igpg(['generate', ...flags, '--arch', arch, '--dataset', 'blobs-4:all', '--n', '2', '--seed', '3', '--generator', bundle, '--out', path.join(dir, `support-only${flags.length}`), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const so = JSON.parse(r.stdout);
      expect(so).toMatchObject({ instruction: '', task: 'blobs-4:all', classes: ['blob-0', 'blob-1', 'blob-2', 'blob-3'] });
      expect(so.accuracies).toHaveLength(2);
      expect(so.accuracies.every((a: number) => a >= 0 && a <= 1)).toBe(true);
      expect(fs.readFileSync(path.join(dir, `support-only${flags.length}`, 'generated-0.card.md'), 'utf8')).toMatch(/with no instruction: the dataset condition/);
    }
    // neither: a usage error that names the way out
    r = igpg(['generate', '--arch', arch, '--generator', bundle]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^igpg: error: no instruction: .*or give --dataset <task> alone to generate from its support images/);
    // inspect reads checkpoints and zoos too.
    const ckpt = JSON.parse(igpg(['inspect', prior, '--json']).stdout);
    expect(ckpt.kind).toBe('checkpoint');
    expect(ckpt.summary.kind).toBe('prior');
    expect(JSON.parse(igpg(['inspect', zoo, '--json']).stdout).summary.networks).toBe(12);
  });

  it('resumes an interrupted `prior train` from its last checkpoint', async () => {
    const zoo = path.join(dir, 'zoo'), vq = path.join(dir, 'bundle', 'vqvae'), prior = path.join(dir, 'prior-killed');
    expect(fs.existsSync(path.join(vq, 'vqvae.json')), 'needs the previous test').toBe(true);
    const child = spawn(process.execPath, [bin, 'prior', 'train', '--zoo', zoo, '--vqvae', vq, '--out', prior, '--config', path.join(dir, 'pipeline.json')], { cwd: root, stdio: 'ignore' });
    const ckpt = path.join(prior, 'run', 'checkpoint.json');
    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(ckpt) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fs.existsSync(ckpt)).toBe(true);
    expect(fs.existsSync(path.join(prior, 'checkpoint.json'))).toBe(false); // killed before the end
    const r = igpg(['prior', 'train', '--zoo', zoo, '--vqvae', vq, '--out', prior, '--config', path.join(dir, 'pipeline.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.resumed).toBe(true);
    expect(res.startStep).toBeGreaterThan(0);
    expect(res.steps).toBe(120);
  });

  it('says up front that a supportK-0 prior has no dataset condition, and refuses support-only generation with it', () => {
    const zoo = path.join(dir, 'zoo'), bundle = path.join(dir, 'bundle-k0');
    expect(fs.existsSync(path.join(dir, 'bundle', 'vqvae', 'vqvae.json')), 'needs the end-to-end test').toBe(true);
    fs.cpSync(path.join(dir, 'bundle', 'vqvae'), path.join(bundle, 'vqvae'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pipeline-k0.json'), JSON.stringify({ ...pipelineConfig, supportK: 0 }));
    let r = igpg(['prior', 'train', '--zoo', zoo, '--vqvae', path.join(bundle, 'vqvae'), '--out', path.join(bundle, 'prior'), '--config', path.join(dir, 'pipeline-k0.json'), '--steps', '10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^igpg: supportK is 0: the prior learns no dataset condition/m);
    const arch = JSON.stringify({ name: 'mlp', spec: { hidden: [8] } });
    r = igpg(['generate', '--arch', arch, '--dataset', 'blobs-4:all', '--n', '1', '--generator', bundle]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^igpg: error: this generator's prior was trained without a dataset condition \(supportK 0\).*give an instruction/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // with an instruction it generates as usual
    r = igpg(['generate', '--instruction', 'Classify the 4 blobs', '--arch', arch, '--dataset', 'blobs-4:all', '--n', '1', '--generator', bundle, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).accuracies).toHaveLength(1);
  });
});
