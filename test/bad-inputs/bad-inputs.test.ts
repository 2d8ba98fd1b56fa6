// Issue #16's corpus: every bad input gets a clear, early, one-line answer from the real binary, with the
// documented exit code, no stack trace, the input named, nothing left in the output folder, within 5 s.
// Cases run a few at a time (a small pool) so the file stays fast on 2 cores.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { badInputs, type BadInput } from './cases';
import { buildFixtures, pipelineConfig, type Fixtures } from './fixtures';
import { bin, igpg, pool, type RunResult } from './run';

// "An answer within 5 s" is checked as CPU time (the machine running the suite may be busy with training jobs,
// so wall time mostly measures the wait for a core); a run still going after HANG_MS counts as a hang.
const LIMIT_MS = 5_000;
const HANG_MS = 120_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-bad-inputs-'));
let f: Fixtures;

describe('bad inputs (issue #16 corpus)', () => {
  beforeAll(async () => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    f = await buildFixtures(dir);
  }, 300_000);

  it('answers each of at least 60 bad inputs in one line, with its exit code, naming the input, leaving nothing', async () => {
    const cases = badInputs(f);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const t0 = Date.now();
    const results = await pool(cases, Math.max(2, os.cpus().length), async (c) => ({ c, r: await igpg(c.args, HANG_MS) }));
    const cpu = results.map(({ r }) => r.cpuMs).sort((a, b) => a - b);
    console.log(`bad-inputs corpus: ${cases.length} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s wall; CPU per answer median ${cpu[cpu.length >> 1].toFixed(0)} ms, max ${cpu[cpu.length - 1].toFixed(0)} ms`);
    const problems: string[] = [];
    const check = (c: BadInput, r: RunResult) => {
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const why: string[] = [];
      if (r.timedOut) why.push(`hung (killed after ${HANG_MS / 1000} s)`);
      if (r.code !== c.code) why.push(`exit ${r.code}, expected ${c.code}`);
      if (lines.length !== 1) why.push(`${lines.length} stderr lines`);
      if (!/^igpg: error: /.test(lines[0] ?? '')) why.push('line does not start with "igpg: error: "');
      if (/^\s+at /m.test(r.stderr)) why.push('stack trace');
      if (!(lines[0] ?? '').includes(c.names)) why.push(`line does not name ${JSON.stringify(c.names)}`);
      if (r.stderr.includes('\u001b')) why.push('raw ESC on stderr');
      if (!(r.cpuMs <= LIMIT_MS)) why.push(`answered after ${r.cpuMs} ms of CPU time`);
      if (c.out && fs.existsSync(c.out) && fs.readdirSync(c.out).length > 0) why.push(`left files in ${c.out}`);
      if (c.out && fs.existsSync(c.out)) why.push(`left the folder ${c.out}`);
      if (why.length) problems.push(`${c.name}: ${why.join('; ')}\n    igpg ${c.args.map((a) => (a.length > 60 ? a.slice(0, 57) + '...' : a)).join(' ')}\n    stderr: ${r.stderr.trim().slice(0, 400)}`);
    };
    for (const { c, r } of results) check(c, r);
    expect(problems, problems.join('\n')).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'outputs'))).toBe(false); // no failing case created any output folder
  }, 600_000);

  it('--instruction-file takes an instruction too long for an argument; inspect escapes control characters it stored', async () => {
    const file = path.join(dir, 'long-instruction.txt');
    fs.writeFileSync(file, `classify the four blobs \u001b[31m${' and their colours'.repeat(400)}`); // ~7 KB
    const out = path.join(dir, 'gen-long');
    const r = await igpg(['generate', '--instruction-file', file, '--arch', 'mlp', '--dataset', 'blobs-4:all', '--generator', f.gen, '--out', out, '--format', 'safetensors', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [weights] = JSON.parse(r.stdout).files as string[];
    const shown = await igpg(['inspect', weights]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain('\u001b');
    expect(shown.stdout).toContain('\\x1b[31m');
  }, 120_000);

  it('--no-resume moves the old run aside (never deletes it) and starts over; stale temp files of killed runs are removed', async () => {
    const vq = path.join(dir, 'vq-again');
    fs.cpSync(f.vq, vq, { recursive: true });
    const stale = path.join(vq, 'run', 'weights-6.safetensors.999999999.0a1b2c3d.tmp'); // pid 999999999 cannot be alive
    fs.writeFileSync(stale, 'half a checkpoint');
    const cfg = path.join(dir, 'pipeline.json');
    let r = await igpg(['vqvae', 'train', '--zoo', f.zoo, '--out', vq, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(stale)).toBe(false);
    expect(r.stderr).toMatch(/removed 1 stale temp file/);
    expect(JSON.parse(r.stdout).resumed).toBe(true);
    r = await igpg(['vqvae', 'train', '--zoo', f.zoo, '--out', vq, '--config', cfg, '--no-resume', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ resumed: false, steps: pipelineConfig.vqvae.steps });
    const aside = fs.readdirSync(dir).filter((n) => n.startsWith('vq-again.old-'));
    expect(aside).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, aside[0], 'vqvae.json'))).toBe(true); // the old run, whole
    expect(r.stderr).toMatch(/--no-resume: moved the previous .*vq-again to .*vq-again\.old-/);
  }, 120_000);

  it('zoo build resume rebuilds a byte-flipped weight file and says so; a finished resume prints no dangling comma', async () => {
    const zoo = path.join(dir, 'zoo-flip');
    fs.cpSync(f.zoo, zoo, { recursive: true });
    const [e] = JSON.parse(fs.readFileSync(path.join(zoo, 'manifest.json'), 'utf8')).entries;
    const w = path.join(zoo, e.weights.file);
    const b = fs.readFileSync(w);
    b[b.length - 1] ^= 0x40;
    fs.writeFileSync(w, b);
    const r = await igpg(['zoo', 'build', '--config', path.join(dir, 'zoo.json'), '--out', zoo, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 1, skipped 1 \(already built, verified\), rebuilt 1 corrupt or missing/);
    expect(r.stderr).toContain(`rebuilt ${e.id}`);
    expect(fs.readFileSync(w)).toEqual(fs.readFileSync(path.join(f.zoo, e.weights.file)));
    const again = await igpg(['prior', 'train', '--zoo', f.zoo, '--vqvae', f.vq, '--out', f.prior, '--config', path.join(dir, 'pipeline.json')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/, \n|,\s*$/m);
  }, 120_000);
});
