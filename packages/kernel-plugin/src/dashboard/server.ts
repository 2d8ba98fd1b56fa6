import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { watch } from 'chokidar';
import { createRunTailer, type RunChange } from './tail';
import { dashboardPage } from './page';
import { codebookView, type CodebookViewData } from '../codebookView';
import { rateLimitedLog } from './logLimit';

/** Options of the live training dashboard. */
export interface DashboardOptions {
  /** Runs directories and/or metrics JSONL files to watch. */
  runs: string | string[];
  port?: number;               // 0 = a free port (default 0)
  host?: string;               // default 127.0.0.1: loopback only
  pollMs?: number;             // also re-read every pollMs (0 = never, the default): only for file systems that deliver no watch events (network mounts)
  maxPayload?: number;         // largest client message in bytes; larger closes the socket (default 4096)
  maxBufferedBytes?: number;   // a client with more unsent bytes than this is dropped (default 4 MiB)
  maxRowsPerRun?: number;      // rows kept in memory per run for new clients (default 20000)
  allowedOrigins?: string[];   // extra browser origins allowed to connect (the page's own origin always is)
  codebook?: string;           // JSON file holding CodebookViewData: served as the interactive view at /codebook
  log?: (msg: string) => void; // default: console.error with a prefix
  logIntervalMs?: number;      // at most one log line per client per interval, escaped (default 10000)
  /** A job queue to show in a queue panel: returns its status (e.g. core's queueStatus(url)); polled every `queuePollMs`. */
  queue?: () => Promise<unknown>;
  queuePollMs?: number;        // default 2000
}

/** A running dashboard. */
export interface Dashboard {
  url: string;
  port: number;
  /** Connected clients right now. */
  clients(): number;
  /** Counters: messages and bytes sent, clients dropped for being slow, bad client messages. */
  stats(): { sent: number; bytesSent: number; dropped: number; badMessages: number; rejectedOrigins: number };
  close(): Promise<void>;
}

/**
 * Serve a live dashboard of training runs on `host:port`: one page (plotly.js served from this server, never a CDN)
 * that streams metrics rows over a WebSocket as the runs append them.
 * @example const d = await startDashboard({ runs: 'runs' }); console.log(d.url); ... await d.close();
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const roots = Array.isArray(opts.runs) ? opts.runs : [opts.runs];
  if (roots.length === 0) throw new Error('startDashboard: give at least one runs directory or metrics .jsonl file in `runs`');
  const host = opts.host ?? '127.0.0.1';
  const pollMs = opts.pollMs ?? 0;
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const log = opts.log ?? ((m: string) => console.error(`[igpg dashboard] ${m}`));
  const clientLog = rateLimitedLog(log, opts.logIntervalMs ?? 10_000);
  const stats = { sent: 0, bytesSent: 0, dropped: 0, badMessages: 0, rejectedOrigins: 0 };
  const tailer = createRunTailer(roots, { maxRowsPerRun: opts.maxRowsPerRun, onBadLine: (f, l) => log(`skipped a malformed line in ${f}: ${l.slice(0, 80)}`) });
  const plotlyPath = require.resolve('plotly.js-dist/plotly.js');
  let page = '';
  let queueState: { status?: unknown; error?: string } = {};

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') { res.writeHead(405).end(); return; }
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    } else if (url === '/plotly.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
      fs.createReadStream(plotlyPath).pipe(res);
    } else if (url === '/codebook' && opts.codebook) {
      let html: string;
      try {
        html = codebookView(JSON.parse(fs.readFileSync(opts.codebook, 'utf8')) as CodebookViewData);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot show ${opts.codebook}: ${(e as Error).message}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><html><head><meta charset="utf-8"><title>igpg codebook</title><script src="/plotly.js"></script></head><body>${html}</body></html>`);
    } else if (url === '/api/queue' && opts.queue) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(queueState));
    } else if (url === '/api/runs') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tailer.snapshot()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });

  const selfOrigins = () => {
    const port = (server.address() as AddressInfo).port;
    const hosts = new Set([host, '127.0.0.1', 'localhost', '[::1]']);
    return new Set([...hosts].map((h) => `http://${h}:${port}`).concat(opts.allowedOrigins ?? []));
  };
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: opts.maxPayload ?? 4096,
    // Browsers always send Origin: only the page's own origin may connect (blocks cross-site WebSocket hijacking).
    // Non-browser clients (scripts, the load test) send none and are allowed.
    verifyClient: ({ origin }: { origin?: string }) => {
      if (!origin || selfOrigins().has(origin)) return true;
      stats.rejectedOrigins++;
      clientLog(server, `rejected a WebSocket from foreign origin ${origin}`);
      return false;
    },
  });

  const send = (ws: WebSocket, msg: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      stats.dropped++;
      log(`dropped a slow client (${ws.bufferedAmount} bytes unsent > ${maxBuffered})`);
      ws.terminate();
      return;
    }
    ws.send(msg);
    stats.sent++;
    stats.bytesSent += msg.length;
  };

  wss.on('connection', (ws) => {
    send(ws, JSON.stringify({ type: 'snapshot', runs: tailer.snapshot(), meta: tailer.meta(), pollMs }));
    if (opts.queue) send(ws, JSON.stringify({ type: 'queue', ...queueState }));
    ws.on('message', (raw, isBinary) => {
      // The client only says hello or pings; anything else is logged and ignored, never fatal.
      let msg: { type?: unknown } | undefined;
      try { msg = isBinary ? undefined : JSON.parse(raw.toString()); } catch { msg = undefined; }
      if (msg && typeof msg === 'object' && msg.type === 'ping') { send(ws, JSON.stringify({ type: 'pong' })); return; }
      if (msg && typeof msg === 'object' && msg.type === 'hello') return;
      stats.badMessages++;
      clientLog(ws, `ignored a malformed client message (${raw.toString().slice(0, 60)})`);
    });
    ws.on('error', (e) => clientLog(ws, `client error: ${e.message}`)); // e.g. maxPayload exceeded: ws closes it with 1009
  });

  const broadcast = (changes: RunChange[]) => {
    if (changes.length === 0) return;
    const msg = JSON.stringify({ type: 'changes', changes });
    for (const ws of wss.clients) send(ws, msg);
  };
  const poll = () => { try { broadcast(tailer.poll()); } catch (e) { log(`poll failed: ${(e as Error).message}`); } };
  // ws re-emits the http server's errors (a busy port included); without a handler that would crash the process
  wss.on('error', (e) => log(`server error: ${e.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`startDashboard: cannot listen on ${host}:${opts.port ?? 0} (${e.code ?? e.message}); pick another --port`)));
      server.listen(opts.port ?? 0, host, () => resolve());
    });
  } catch (e) {
    wss.close();
    throw e;
  }
  poll();
  // Updates come from a file watcher (chokidar: recursive, sees runs created later); a change schedules one read
  // a few ms later so a burst of appends is sent as one batch, and every read rescans the whole tree.
  // Two gaps in chokidar 4 are closed here rather than by a periodic poll (they are why updates used to stall
  // under load until a 1 s safety poll came):
  // - its 'change' events are throttled on the leading edge only (one per file per 50 ms, the rest dropped,
  //   no trailing event), so the last appends of a fast writer raise none: each event also schedules a read
  //   100 ms after the last one;
  // - it lists a new folder and only then watches it, so a file written into it in between raises no event:
  //   after a folder appears, the tree is read again once it has settled.
  let scheduled: NodeJS.Timeout | null = null;
  let trailing: NodeJS.Timeout | null = null;
  const settles = new Set<NodeJS.Timeout>();
  const soon = () => {
    scheduled ??= setTimeout(() => { scheduled = null; poll(); }, 20);
    if (trailing) clearTimeout(trailing);
    trailing = setTimeout(() => { trailing = null; poll(); }, 100);
  };
  const newFolder = () => {
    soon();
    for (const ms of [250, 1000, 3000]) { const t = setTimeout(() => { settles.delete(t); poll(); }, ms); settles.add(t); }
  };
  const watcher = watch(roots, { ignoreInitial: true, depth: 6, ignored: (p: string) => /node_modules|\/\./.test(p) });
  watcher.on('add', soon).on('change', soon).on('unlink', soon).on('addDir', newFolder).on('error', (e) => log(`watch failed: ${(e as Error).message}`));
  // changes made before the watcher is ready raise no event: wait for it, then read once more
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  poll();
  const timer = pollMs > 0 ? setInterval(poll, pollMs) : undefined;
  // The queue panel: a status read every queuePollMs (never two at once), sent to every client.
  let queueBusy = false;
  const pollQueue = async () => {
    if (!opts.queue || queueBusy) return;
    queueBusy = true;
    try {
      queueState = { status: await opts.queue() };
    } catch (e) {
      queueState = { error: (e as Error).message };
    } finally {
      queueBusy = false;
    }
    const msg = JSON.stringify({ type: 'queue', ...queueState });
    for (const ws of wss.clients) send(ws, msg);
  };
  if (opts.queue) await pollQueue();
  const queueTimer = opts.queue ? setInterval(pollQueue, opts.queuePollMs ?? 2000) : undefined;
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  page = dashboardPage({ title: `igpg runs: ${roots.join(', ')}`, codebook: Boolean(opts.codebook), queue: Boolean(opts.queue) });

  return {
    url: `http://${urlHost}:${port}/`,
    port,
    clients: () => wss.clients.size,
    stats: () => ({ ...stats }),
    async close() {
      clearInterval(timer);
      if (scheduled) clearTimeout(scheduled);
      if (trailing) clearTimeout(trailing);
      for (const t of settles) clearTimeout(t);
      await watcher.close();
      clearInterval(queueTimer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
