import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { metricsLog } from '@igpg/core';
import { startDashboard, type Dashboard } from './server';

let dir: string;
let dash: Dashboard;
const logs: string[] = [];
const wsUrl = () => dash.url.replace('http', 'ws') + 'ws';
const until = async (cond: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond()) { if (Date.now() - t0 > ms) throw new Error('timed out waiting'); await new Promise((r) => setTimeout(r, 20)); }
};
/** Open a client and collect its parsed messages. */
const client = (origin?: string) => new Promise<{ ws: WebSocket; msgs: Array<{ type: string }> }>((resolve, reject) => {
  const ws = new WebSocket(wsUrl(), origin ? { origin } : {});
  const msgs: Array<{ type: string }> = [];
  ws.on('message', (m) => msgs.push(JSON.parse(m.toString())));
  ws.once('open', () => resolve({ ws, msgs }));
  ws.once('error', reject);
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-'));
  metricsLog(path.join(dir, 'run1', 'metrics.jsonl')).append({ step: 0, loss: 1 });
  logs.length = 0;
  dash = await startDashboard({ runs: dir, maxBufferedBytes: 64 * 1024, log: (m) => logs.push(m) });
});
afterEach(async () => {
  await dash.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dashboard server', () => {
  it('refuses a busy port with a clear error instead of crashing the process', async () => {
    await expect(startDashboard({ runs: dir, port: dash.port, log: () => {} })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); pick another --port/);
    expect((await fetch(dash.url)).status).toBe(200); // the first server is unaffected
  });

  it('serves the page and plotly.js itself, on loopback, and streams appended rows', async () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(dash.url)).text();
    expect(page).toContain('<script src="/plotly.js">');
    expect(page).not.toMatch(/cdn|https:\/\//i);
    const js = await fetch(dash.url + 'plotly.js');
    expect(js.status).toBe(200);
    expect(Number((await js.arrayBuffer()).byteLength)).toBeGreaterThan(1_000_000);
    expect((await fetch(dash.url + 'codebook')).status).toBe(404); // no codebook file given
    const { ws, msgs } = await client();
    await until(() => msgs.length >= 1);
    expect(msgs[0]).toMatchObject({ type: 'snapshot', runs: { 'run1/metrics': [{ step: 0, loss: 1 }] } });
    metricsLog(path.join(dir, 'run1', 'metrics.jsonl')).append({ step: 1, loss: 0.5 });
    await until(() => msgs.length >= 2);
    expect(msgs[1]).toMatchObject({ type: 'changes', changes: [{ run: 'run1/metrics', kind: 'append', rows: [{ step: 1 }] }] });
    ws.close();
  });

  it('serves the interactive codebook view from a CodebookViewData file', async () => {
    const file = path.join(dir, 'codebook.json');
    const position = { layer: 0, layers: 1, role: 'kernel', tensor: 'w', offset: 0, chunk: 0 };
    fs.writeFileSync(file, JSON.stringify({ codebookSize: 3, chunks: [{ position, codes: [1, 2] }] }));
    const d2 = await startDashboard({ runs: dir, codebook: file, log: () => {} });
    try {
      expect(await (await fetch(d2.url)).text()).toContain('href="/codebook"');
      const html = await (await fetch(d2.url + 'codebook')).text();
      expect(html).toContain('<script src="/plotly.js">');
      expect(html).toContain('"counts":[0,1,1]');
      fs.writeFileSync(file, '{"codebookSize": 0, "chunks": []}');
      const bad = await fetch(d2.url + 'codebook');
      expect(bad.status).toBe(500);
      expect(await bad.text()).toMatch(/codebookSize must be a positive integer/);
    } finally {
      await d2.close();
    }
  });

  it('rejects a foreign Origin and accepts its own', async () => {
    await expect(client('http://evil.example')).rejects.toThrow(/401/);
    expect(dash.stats().rejectedOrigins).toBe(1);
    const own = await client(new URL(dash.url).origin);
    own.ws.close();
  });

  it('closes a client that sends an oversized message (1009)', async () => {
    const { ws } = await client();
    const code = await new Promise<number>((r) => { ws.on('close', (c) => r(c)); ws.send('x'.repeat(10_000)); });
    expect(code).toBe(1009);
  });

  it('ignores malformed messages, logs them, and keeps serving', async () => {
    const { ws, msgs } = await client();
    ws.send('not json'); ws.send(JSON.stringify({ type: 'launch-missiles' })); ws.send(Buffer.from([1, 2, 3]));
    ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => msgs.some((m) => m.type === 'pong'));
    expect(dash.stats().badMessages).toBe(3);
    // one line per client per interval, escaped: a flood of bad messages cannot flood the log
    const lines = logs.filter((l) => l.includes('malformed client message'));
    expect(lines).toHaveLength(1);
    ws.send('\u001b[31mred');
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.filter((l) => l.includes('malformed client message'))).toHaveLength(1);
    const other2 = await client();
    other2.ws.send('\u001b[31mred');
    await until(() => logs.filter((l) => l.includes('malformed client message')).length === 2);
    expect(logs.filter((l) => l.includes('malformed client message'))[1]).toContain('\\x1b[31mred');
    expect(logs.join('\n')).not.toContain('\u001b');
    other2.ws.close();
    const other = await client();
    await until(() => other.msgs.length >= 1);
    ws.close(); other.ws.close();
  });

  it('drops a client that stops reading instead of buffering without bound; others keep receiving', async () => {
    const slow = await client();
    const fast = await client();
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stop reading: TCP backs up, bufferedAmount grows
    const log = metricsLog(path.join(dir, 'run1', 'metrics.jsonl'));
    const big = Array.from({ length: 50_000 }, (_, i) => i % 97);
    for (let step = 1; step < 200 && dash.stats().dropped === 0; step++) {
      log.append({ step, loss: 1 / step, codeCounts: big });
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(dash.stats().dropped).toBe(1);
    expect(logs.some((l) => l.includes('dropped a slow client'))).toBe(true);
    await until(() => dash.clients() === 1);
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
    fast.ws.close();
  });
});
