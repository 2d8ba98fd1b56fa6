// Executes every notebook in notebooks/ headlessly on the igpg-ts kernel (installed through the built `igpg` CLI),
// with Debian's Jupyter. A failing cell or a TypeScript type error fails nbconvert; the outputs must hold plotly figures.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackZoo } from '@igpg/core';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const jupyter = '/usr/bin/jupyter';
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-notebooks-'));
const prefix = path.join(tmp, 'jupyter');

/** The default checkpoints the quickstart loads (the same env overrides as the notebook). */
const checkpoints = {
  IGPG_ZOO: process.env.IGPG_ZOO ?? path.join(root, 'zoo/default'),
  IGPG_VQVAE: process.env.IGPG_VQVAE ?? path.join(root, 'runs/default/vqvae'),
  IGPG_PRIOR: process.env.IGPG_PRIOR ?? path.join(root, 'runs/default/prior'),
};

interface Output { output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string; text?: string | string[] }

/** Execute a notebook into tmp; returns its outputs, or throws with nbconvert's error (the failing cell and message). */
function execute(name: string): Output[] {
  const out = path.join(tmp, 'out');
  const r = spawnSync(jupyter, ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.kernel_name=igpg-ts',
    '--ExecutePreprocessor.timeout=600', '--output-dir', out, path.join(root, 'notebooks', name)], {
    encoding: 'utf8', timeout: 900_000, env: { ...process.env, ...checkpoints, JUPYTER_PATH: path.join(prefix, 'share/jupyter') },
  });
  if (r.status !== 0) throw new Error(`${name} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${(r.stderr ?? '').split('\n').slice(-40).join('\n')}`);
  const nb = JSON.parse(fs.readFileSync(path.join(out, name), 'utf8')) as { cells: { cell_type: string; execution_count?: number | null; outputs?: Output[] }[] };
  // executed notebooks keep their execution counts (the kernel publishes execute_input), 1, 2, ... in order
  const counts = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.execution_count);
  expect(counts, `${name}: execution counts`).toEqual(counts.map((_, i) => i + 1));
  // plotly.js (10 MB) is in the notebook at most once, not in every figure's output
  const copies = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => joined(o.data?.['text/html']).includes('plotly.js v')).length;
  expect(copies, `${name}: copies of plotly.js`).toBeLessThanOrEqual(1);
  return nb.cells.flatMap((c) => c.outputs ?? []);
}

/** nbformat stores multi-line text as a list of lines. */
const joined = (v: unknown) => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');
const figuresIn = (outputs: Output[]) => outputs.filter((o) => o.data && PLOTLY_MIME in o.data).map((o) => o.data![PLOTLY_MIME] as { data: unknown[]; layout: { title?: { text?: string } } });

describe('notebooks', () => {
  beforeAll(() => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    expect(fs.existsSync(jupyter), `${jupyter} is missing: apt-get install -y --no-install-recommends jupyter-client python3-nbconvert python3-nbclient python3-ipykernel jupyter-nbconvert`).toBe(true);
    const r = spawnSync(process.execPath, [bin, 'kernel', 'install', '--prefix', prefix], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('finds the notebooks, each on the igpg-ts kernel', () => {
    const names = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
    expect(names).toEqual(['01-quickstart.ipynb', '02-architecture-plugin.ipynb', '03-codebook-inspection.ipynb']);
    for (const n of names) expect(JSON.parse(fs.readFileSync(path.join(root, 'notebooks', n), 'utf8')).metadata.kernelspec.name, n).toBe('igpg-ts');
  });

  it('01-quickstart: generates a network from an instruction and plots it against the zoo', () => {
    unpackZoo(checkpoints.IGPG_ZOO); // zoo/default/ ships packed; in a fresh checkout nothing else may have unpacked it yet
    const missing = Object.entries(checkpoints).filter(([, p]) => !fs.existsSync(p));
    if (missing.length) {
      throw new Error(`the quickstart needs the default checkpoints (${missing.map(([k, p]) => `${k}=${p}`).join(', ')}): run \`npm run demo\` first`);
    }
    const outputs = execute('01-quickstart.ipynb');
    expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
    const titles = figuresIn(outputs).map((f) => f.layout.title?.text ?? '');
    expect(titles.some((t) => /Token grid|tokens/.test(t)), titles.join(' | ')).toBe(true);
    expect(titles.some((t) => /Original vs reconstructed vs generated/.test(t))).toBe(true);
    expect(titles.some((t) => /Codebook usage/.test(t))).toBe(true);
    expect(titles.filter((t) => /weights per layer/.test(t))).toHaveLength(2);
  }, 900_000);

  it('02-architecture-plugin: a notebook-defined architecture trains in zoo workers and gets tokenized', () => {
    const outputs = execute('02-architecture-plugin.ipynb');
    const text = outputs.map((o) => joined(o.text)).join('');
    expect(text).toMatch(/trained 16 networks/);
    expect(text).toMatch(/same seed, same weights: true/);
    const titles = figuresIn(outputs).map((f) => f.layout.title?.text ?? '');
    expect(titles).toEqual(expect.arrayContaining(['The zoo', 'VQ-VAE training']));
    expect(titles.some((t) => /^Tokens of .*bmlp/.test(t)), titles.join(' | ')).toBe(true);
  }, 900_000);

  it('03-codebook-inspection: live training views, dead codes, per-layer usage and the codebook view', () => {
    const outputs = execute('03-codebook-inspection.ipynb');
    const figs = figuresIn(outputs);
    const titles = figs.map((f) => f.layout.title?.text ?? '');
    // each live view leaves one output, updated in place to its final state
    expect(titles.filter((t) => t === 'VQ-VAE losses (live)')).toHaveLength(1);
    const ppl = figs.find((f) => f.layout.title?.text === 'Codebook perplexity and dead codes')!;
    expect((ppl.data[0] as { x: number[] }).x.length).toBe(200); // every training step reached the live view
    expect(titles.some((t) => /^Codebook usage: \d+\/128 codes used/.test(t)), titles.join(' | ')).toBe(true);
    expect(outputs.some((o) => o.data && !(PLOTLY_MIME in o.data) && /class="igpg-codebook"/.test(joined(o.data['text/html'])))).toBe(true);
  }, 900_000);
});
