// `igpg kernel install|uninstall` through the built binary, into a temporary Jupyter prefix.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'packages/cli/dist/main.js');

function igpg(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('igpg kernel', () => {
  beforeAll(() => expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true));

  it('installs the igpg-ts kernelspec into a prefix, says how to use it, and uninstalls it', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-kernel-'));
    const kdir = path.join(prefix, 'share/jupyter/kernels/igpg-ts');
    try {
      const r = igpg(['kernel', 'install', '--prefix', prefix]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(kdir);
      expect(r.stdout).toContain(`JUPYTER_PATH=${path.join(prefix, 'share/jupyter')}`);
      expect(r.stdout).toContain('igpg (TypeScript)');
      const spec = JSON.parse(fs.readFileSync(path.join(kdir, 'kernel.json'), 'utf8'));
      expect(spec.display_name).toBe('igpg (TypeScript)');
      expect(spec.language).toBe('typescript');
      expect(fs.existsSync(spec.argv[1]), `launcher ${spec.argv[1]}`).toBe(true);

      const json = igpg(['kernel', 'install', '--prefix', prefix, '--json']); // reinstalling is fine
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ name: 'igpg-ts', dir: kdir, jupyterPath: path.join(prefix, 'share/jupyter') });

      const u = igpg(['kernel', 'uninstall', '--prefix', prefix]);
      expect(u.code, u.stderr).toBe(0);
      expect(u.stdout).toMatch(/removed/);
      expect(fs.existsSync(kdir)).toBe(false);
      const again = igpg(['kernel', 'uninstall', '--prefix', prefix, '--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).removed).toBe(false);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });

  it('rejects bad usage with exit 2 and a one-line error', () => {
    for (const args of [['kernel', 'install', '--prefix', '/tmp/x', '--user'], ['kernel', 'install', '--bogus'], ['kernel', 'frobnicate']]) {
      const r = igpg(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^igpg: error: [^\n]+\n/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
