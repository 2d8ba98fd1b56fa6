// `igpg dashboard` through the built binary: serves its page over HTTP, exits 0 on SIGTERM, rejects bad flags.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-'));

function igpg(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the dashboard and resolve with its URL once it prints it. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no URL after 30 s; stderr: ${err}`)); }, 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[0], stderr: () => err }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`dashboard exited early (${code}): ${err}`)); });
  });
}

const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));

describe('igpg dashboard', () => {
  beforeAll(() => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    fs.mkdirSync(path.join(runs, 'a'));
    fs.writeFileSync(path.join(runs, 'a', 'metrics.jsonl'), [1, 2, 3].map((step) => JSON.stringify({ step, loss: 1 / step })).join('\n') + '\n');
  });
  afterAll(() => fs.rmSync(runs, { recursive: true, force: true }));

  it('serves the page and the runs over HTTP, and exits 0 on SIGTERM', async () => {
    const { child, url, stderr } = await startCli(['dashboard', '--runs', runs, '--port', '0']);
    const done = exited(child);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<title>igpg runs/);
      const api = await (await fetch(new URL('/api/runs', url))).text();
      expect(api).toContain('loss');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await done, stderr()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('unpacks a zoo given packed (<dir>.tar.gz, as zoo/default ships) and shows its checkpoints', async () => {
    const packed = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-zoo-'));
    for (const f of ['default.tar.gz', 'default.tar.gz.sha256']) fs.copyFileSync(path.join(root, 'zoo', f), path.join(packed, f));
    const { child, url, stderr } = await startCli(['dashboard', '--runs', path.join(packed, 'default'), '--port', '0']);
    const done = exited(child);
    try {
      const api = await (await fetch(new URL('/api/runs', url))).json() as Record<string, unknown[]>;
      expect(api['zoo/default']).toHaveLength(1584);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await done, stderr()).toEqual({ code: 0, signal: null });
    fs.rmSync(packed, { recursive: true, force: true });
  }, 60_000);

  it('rejects bad flags and a busy port with exit 2 and a one-line error', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      for (const args of [['dashboard', '--runs', runs, '--port', '99999'], ['dashboard', '--runs', runs, '--port', 'abc'], ['dashboard'],
        ['dashboard', '--runs', path.join(runs, 'missing')], ['dashboard', '--runs', runs, '--port', String(port)]]) {
        const r = igpg(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/^igpg: error: [^\n]+\n/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      busy.close();
    }
  });
});
