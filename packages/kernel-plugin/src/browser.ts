import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Figure } from './types';

/** Chromium flags that work on a headless, offline machine (see ENV-NOTES). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Launch headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM_PATH). Playwright gives each launch a fresh
 * temporary profile (it refuses an explicit --user-data-dir) and removes it on close.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  return { browser, close: () => browser.close() };
}

/**
 * A new page with plotly.js loaded straight from node_modules through a file:// URL (much faster than pushing
 * 10 MB of script over the DevTools protocol). The temp HTML file is removed once the page has loaded.
 */
export async function newPlotlyPage(browser: Browser, viewport = { width: 1100, height: 900 }): Promise<Page> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-page-'));
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"><script src="${pathToFileURL(require.resolve('plotly.js-dist/plotly.js')).href}"></script></head><body></body></html>`);
  try {
    const page = await browser.newPage({ viewport });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => typeof (globalThis as any).Plotly === 'object');
    return page;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Render figures to PNG files with Plotly.toImage in headless Chromium (plotly.js from node_modules, no network).
 * Writes are atomic (temp file + rename). Returns the written paths.
 * @example await renderPng({ usage: figures.codebookUsage(u) }, 'report/figures')
 */
export async function renderPng(figs: Record<string, Figure>, outDir: string, opts: { width?: number; height?: number; scale?: number } = {}): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const chrome = await launchChromium();
  const written: string[] = [];
  try {
    const page = await newPlotlyPage(chrome.browser);
    await page.evaluate(() => { const g = globalThis as any; const d = g.document.createElement('div'); d.id = 'plot'; g.document.body.appendChild(d); });
    for (const [name, fig] of Object.entries(figs)) {
      const height = opts.height ?? Number(fig.layout.height ?? 480);
      const url = await page.evaluate(async ({ fig, width, height, scale }) => {
        const g = globalThis as any; // runs in the page: window and document exist there
        const P = g.Plotly;
        const div = g.document.getElementById('plot');
        await P.newPlot(div, fig.data, { ...fig.layout, width, height }, { staticPlot: true });
        return P.toImage(div, { format: 'png', width, height, scale });
      }, { fig, width: opts.width ?? 900, height, scale: opts.scale ?? 1 });
      const file = path.join(outDir, `${name}.png`);
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'));
      fs.renameSync(tmp, file);
      written.push(file);
    }
  } finally {
    await chrome.close();
  }
  return written;
}
