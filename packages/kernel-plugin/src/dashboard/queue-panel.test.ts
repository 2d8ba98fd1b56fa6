// The dashboard's queue panel against a real, password-protected redis-server on loopback: the status
// reaches /api/queue and every WebSocket client, and the password appears nowhere in it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { queueStatus } from '@igpg/core';
import { startRedis, type TestRedis } from '../../../../test/redis';
import { startDashboard, type Dashboard } from './server';

const PASSWORD = 'pw-7f3a9c';
let redis: TestRedis;
let dash: Dashboard;
let dir: string;

describe('dashboard queue panel', () => {
  beforeAll(async () => {
    redis = await startRedis(['--requirepass', PASSWORD], PASSWORD);
    const q = new Queue('zoo', { connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD }, prefix: 'igpg' });
    await q.add('train', { any: 1 }, { jobId: 'waiting-1' });
    await q.close();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-q-'));
    dash = await startDashboard({ runs: dir, pollMs: 50, queue: () => queueStatus(redis.url), queuePollMs: 100, log: () => {} });
  });
  afterAll(async () => {
    await dash?.close();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the queue status over HTTP and pushes it to clients, without the password', async () => {
    expect(redis.url).toContain(PASSWORD);
    const api = await (await fetch(`${dash.url}api/queue`)).text();
    expect(JSON.parse(api).status.counts).toMatchObject({ waiting: 1, active: 0, failed: 0 });
    expect(api).not.toContain(PASSWORD);
    expect(JSON.parse(api).status.queue).toBe(`redis://***@127.0.0.1:${redis.port}/0`);
    const msgs: { type: string; status?: { counts: { waiting: number } } }[] = [];
    const ws = new WebSocket(dash.url.replace('http', 'ws') + 'ws');
    ws.on('message', (m) => msgs.push(JSON.parse(m.toString())));
    const t0 = Date.now();
    while (msgs.filter((m) => m.type === 'queue').length < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(msgs.filter((m) => m.type === 'queue').length).toBeGreaterThanOrEqual(2); // the first on connect, then each poll
    expect(msgs.find((m) => m.type === 'queue')!.status!.counts.waiting).toBe(1);
    expect((await (await fetch(dash.url)).text())).toContain('id="queue"');
  });

  it('shows a wrong password as an error in the panel, still without the password', async () => {
    const wrong = redis.url.replace(PASSWORD, 'not-it');
    const d = await startDashboard({ runs: dir, queue: () => queueStatus(wrong), log: () => {} });
    const api = await (await fetch(`${d.url}api/queue`)).json();
    await d.close();
    expect(api.error).toMatch(/cannot reach the queue at redis:\/\/\*\*\*@127\.0\.0\.1:\d+\/0 \((WRONGPASS|ERR)/);
    expect(JSON.stringify(api)).not.toContain('not-it');
  });
});
