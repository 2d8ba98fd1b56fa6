// A real redis-server for tests: on a free loopback port, in a temp folder, without persistence
// (as a restart then loses everything, the harshest case for the queue). Stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestRedis {
  port: number;
  url: string;
  /** Kill and start again on the same port (all data lost). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start redis-server; `extra` adds arguments (e.g. ['--requirepass', 'pw']), `auth` puts that password in the URL.
 * With `tls` (PEM files) it serves TLS only, and the URL is rediss://localhost:P/0.
 */
export async function startRedis(extra: string[] = [], auth = '', tls?: { cert: string; key: string }): Promise<TestRedis> {
  if (!fs.existsSync('/usr/bin/redis-server')) throw new Error('redis-server is not installed: run scripts/setup.sh (Debian package redis-server)');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-redis-'));
  let proc: ChildProcess | undefined;
  const start = () => new Promise<void>((resolve, reject) => {
    const ports = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.cert, '--tls-auth-clients', 'no'] : ['--port', String(port)];
    const p = spawn('/usr/bin/redis-server', [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
    p.stdout!.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise((r) => {
      p.once('exit', r);
      p.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://${auth ? `:${auth}@` : ''}${tls ? 'localhost' : '127.0.0.1'}:${port}/0`,
    async restart() {
      await stop();
      await start();
    },
    async stop() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
