// The queue over TLS with a password (rediss://:pw@localhost), against a real redis-server serving TLS only
// with a throwaway self-signed certificate: a worker (password via IGPG_QUEUE, CA via IGPG_QUEUE_CA) and the
// coordinator build a tiny zoo; without the CA the certificate is refused; the password is never printed.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZooOnQueue, queueStatus, readManifest } from '@igpg/core';
import { startRedis, type TestRedis } from './redis';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-queue-tls-'));
const PASSWORD = 'tls-pw-51be';
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
let redis: TestRedis;

describe('queue over TLS with a password', () => {
  beforeAll(async () => {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    redis = await startRedis(['--requirepass', PASSWORD], PASSWORD, { cert, key });
  });
  afterAll(async () => {
    delete process.env.IGPG_QUEUE_CA;
    await redis?.stop();
  });

  it('refuses the self-signed certificate unless its CA is given', async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    delete process.env.IGPG_QUEUE_CA;
    const err = await queueStatus(redis.url).then(() => null, (e: Error) => e.message);
    expect(err).toMatch(/cannot reach the queue at rediss:\/\/\*\*\*@localhost:\d+\/0 \(self-signed certificate/);
    expect(err).not.toContain(PASSWORD);
  });

  it('builds a zoo through it: worker and coordinator connect with TLS and the password', async () => {
    process.env.IGPG_QUEUE_CA = cert;
    const worker = spawn(process.execPath, [bin, 'worker'], { env: { ...process.env, IGPG_BACKEND: 'wasm', IGPG_QUEUE: redis.url, IGPG_QUEUE_CA: cert }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    worker.stderr!.on('data', (d) => (log += d));
    const config = { name: 'tls', tasks: ['blobs-4:all'], architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'm4' }], seeds: 2, epochs: [1], trainLimit: 100, testLimit: 50 };
    const logs: string[] = [];
    const r = await buildZooOnQueue(config, { out: path.join(dir, 'zoo'), url: redis.url, plugins: ['@igpg/architectures', '@igpg/datasets'], progress: false, log: (l) => logs.push(l) });
    const s = await queueStatus(redis.url);
    worker.kill('SIGTERM');
    await new Promise((res) => worker.once('exit', res));
    expect(r.trained).toBe(2);
    expect(readManifest(path.join(dir, 'zoo'), { verify: true }).entries).toHaveLength(2);
    expect(s.workers.length).toBe(1);
    expect(log).toMatch(/listening on rediss:\/\/\*\*\*@localhost:\d+\/0/);
    for (const text of [log, logs.join('\n'), JSON.stringify(s)]) expect(text).not.toContain(PASSWORD);
  }, 300_000);
});
