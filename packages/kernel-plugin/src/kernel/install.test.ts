import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNodeModulesFallback } from './main';

const pkgDir = path.resolve(__dirname, '..', '..');
const dist = path.join(pkgDir, 'dist', 'index.js');

describe('TypeScript resolution fallback', () => {
  it('forwards missing node_modules paths under cwd to igpg node_modules, and nothing else', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-fallback-'));
    try {
      const nm = path.join(root, 'repo', 'node_modules');
      fs.mkdirSync(path.join(nm, '@igpg', 'core'), { recursive: true });
      fs.writeFileSync(path.join(nm, '@igpg', 'core', 'index.d.ts'), 'export {}');
      const cwd = path.join(root, 'notebooks', 'a');
      fs.mkdirSync(cwd, { recursive: true });
      const sys: Record<string, any> = {
        fileExists: (p: string) => fs.existsSync(p) && fs.statSync(p).isFile(),
        directoryExists: (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory(),
        readFile: (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined),
        realpath: (p: string) => fs.realpathSync(p),
      };
      addNodeModulesFallback(sys, cwd, nm);
      const asked = path.join(root, 'notebooks', 'node_modules', '@igpg', 'core', 'index.d.ts'); // an ancestor of cwd
      expect(sys.fileExists(asked)).toBe(true);
      expect(sys.readFile(asked)).toBe('export {}');
      expect(sys.realpath(asked)).toBe(fs.realpathSync(path.join(nm, '@igpg', 'core', 'index.d.ts')));
      expect(sys.directoryExists(path.join(cwd, 'node_modules', '@igpg'))).toBe(true);
      expect(sys.fileExists(path.join(root, 'elsewhere', 'node_modules', '@igpg', 'core', 'index.d.ts'))).toBe(false); // not on cwd's lookup path
      expect(sys.fileExists(path.join(cwd, 'node_modules', '@igpg', 'nope.d.ts'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

/** Real Jupyter: install the kernel into a temp prefix, execute a notebook outside the repo, uninstall. */
describe('igpg-ts kernel in Jupyter', () => {
  let tmp: string;
  let kernel: typeof import('./install');
  beforeAll(() => {
    if (!fs.existsSync(dist) || !fs.existsSync(path.join(pkgDir, 'dist', 'kernel', 'main.js'))) {
      throw new Error(`${dist} is missing: tslab runs built packages; run \`npm run build\` (or npx tsc -b packages/kernel-plugin) first`);
    }
    kernel = require(path.join(pkgDir, 'dist', 'kernel', 'install.js'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-kernel-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('installs, runs a notebook that imports @igpg packages and shows plotly figures, and uninstalls', () => {
    const prefix = path.join(tmp, 'prefix');
    const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') };
    const dir = kernel.installKernel({ prefix });
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    expect(spec.display_name).toBe('igpg (TypeScript)');
    expect(execFileSync('/usr/bin/jupyter', ['kernelspec', 'list'], { env, encoding: 'utf8' })).toContain('igpg-ts');

    const cells = [
      "import { show, figures, live } from '@igpg/kernel-plugin';\nimport { createRng } from '@igpg/core';\nconst n: number = createRng(1).int(100);\nconsole.log('rng', n);",
      "show(figures.codebookUsage({ counts: [3, 0, 5] }));",
      "const l = live.curves({ throttleMs: 0 });\nfor (let s = 0; s < 3; s++) l.push({ step: s, loss: 1 / (s + 1) });\nl.close();",
      "console.log('shorthand', JSON.stringify({ n }));", // n of the first cell: plain tslab throws "n is not defined"
    ];
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'igpg-ts', display_name: 'igpg (TypeScript)', language: 'typescript' } },
      cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })) };
    const nbDir = path.join(tmp, 'somewhere', 'else'); // far from the repo's node_modules
    fs.mkdirSync(nbDir, { recursive: true });
    fs.writeFileSync(path.join(nbDir, 't.ipynb'), JSON.stringify(nb));
    execFileSync('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', 't.ipynb', '--output', 'out.ipynb', '--ExecutePreprocessor.timeout=120'],
      { cwd: nbDir, env, stdio: 'pipe', timeout: 180_000 });
    const out = JSON.parse(fs.readFileSync(path.join(nbDir, 'out.ipynb'), 'utf8'));
    const outputs = out.cells.map((c: { outputs: Array<{ output_type: string; data?: Record<string, any>; text?: string[] }> }) => c.outputs);
    expect(outputs[0][0].text.join('')).toMatch(/^rng \d+/);
    const [plotlyInit, usage] = outputs[1];
    expect(plotlyInit.data['text/html'].join('').length).toBeGreaterThan(1_000_000); // plotly.js inlined once
    expect(usage.data['application/vnd.plotly.v1+json'].data[0].type).toBe('bar');
    expect(usage.data['text/html'].join('')).toContain('Plotly.react');
    expect(outputs[2]).toHaveLength(1); // the live view updated one output in place, no second plotly.js
    expect(outputs[2][0].data['application/vnd.plotly.v1+json'].data[0].y).toEqual([1, 0.5, 1 / 3]);
    expect(outputs[3].map((o: { text?: string[] }) => (o.text ?? []).join('')).join('')).toBe(`shorthand {"n":${outputs[0][0].text.join('').match(/^rng (\d+)/)![1]}}\n`);

    expect(kernel.uninstallKernel({ prefix })).toBe(true);
    expect(execFileSync('/usr/bin/jupyter', ['kernelspec', 'list'], { env, encoding: 'utf8' })).not.toContain('igpg-ts');
    expect(kernel.uninstallKernel({ prefix })).toBe(false);
  });
});
