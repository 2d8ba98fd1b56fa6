import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { plotlyJs } from './show';
import type { Figure } from './types';

/** Chromium flags that work on a headless, offline machine (see ENV-NOTES). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
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
 * Render figures to PNG files with Plotly.toImage in headless Chromium (plotly.js from node_modules, no network).
 * Writes are atomic (temp file + rename). Returns the written paths.
 * @example await renderPng({ usage: figures.codebookUsage(u) }, 'report/figures')
 */
export async function renderPng(figs: Record<string, Figure>, outDir: string, opts: { width?: number; height?: number; scale?: number } = {}): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const chrome = await launchChromium();
  const written: string[] = [];
  try {
    const page = await chrome.browser.newPage();
    await page.setContent('<html><body><div id="plot"></div></body></html>');
    await page.addScriptTag({ content: plotlyJs() });
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
