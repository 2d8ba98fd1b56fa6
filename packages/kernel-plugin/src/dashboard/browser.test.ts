import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../browser';
import { startDashboard } from './server';
import { runTinyVq } from './tinyVqRun';

/** The dashboard in a real browser, fed by a real (tiny) training run; screenshot in $IGPG_SCREENSHOT_DIR or the temp dir. */
describe('dashboard in headless Chromium', () => {
  it('draws live plots as a training run appends metrics, and reconnects after a server restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-browser-'));
    const shotDir = process.env.IGPG_SCREENSHOT_DIR ?? dir;
    let dash = await startDashboard({ runs: dir, pollMs: 100, log: () => {} });
    const chrome = await launchChromium();
    try {
      const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dash.url);
      await page.waitForFunction(() => (window as any).__igpg.connected === true);
      const S = () => page.evaluate(() => ({ ...(window as any).__igpg }));
      // A real run: vector-quantising Iris with Adam, logging while the page watches.
      const run = runTinyVq({ file: path.join(dir, 'iris-vq', 'metrics.jsonl'), steps: 80, delayMs: 10, seed: 1 });
      await page.waitForFunction(() => (window as any).__igpg.rows >= 20, undefined, { timeout: 20_000 });
      await run;
      await page.waitForFunction(() => (window as any).__igpg.rows >= 80, undefined, { timeout: 20_000 });
      await page.waitForTimeout(400); // let the coalesced redraw land
      const s = await S();
      expect(s.messages).toBeGreaterThanOrEqual(4); // snapshot + several streamed batches
      expect(s.redraws).toBeGreaterThanOrEqual(3);
      const traces = await page.evaluate(() => ['loss', 'recon', 'perplexity', 'codes'].map((id) => document.querySelectorAll(`#${id} .scatterlayer .trace path.js-line`).length));
      expect(traces).toEqual([1, 1, 1, 1]);
      expect(await page.locator('#usage .heatmaplayer image, #usage .hm image').count()).toBeGreaterThan(0);
      const lossPoints = await page.evaluate(() => (document.getElementById('loss') as any).data[0].y.length);
      expect(lossPoints).toBe(80);
      await page.screenshot({ path: path.join(shotDir, 'dashboard.png') });

      // Restart the server on the same port: the page reconnects by itself and gets a fresh snapshot.
      const port = dash.port;
      await dash.close();
      await page.waitForFunction(() => (window as any).__igpg.connected === false);
      dash = await startDashboard({ runs: dir, port, pollMs: 100, log: () => {} });
      await page.waitForFunction(() => (window as any).__igpg.connected === true, undefined, { timeout: 15_000 });
      expect((await S()).reconnects).toBeGreaterThanOrEqual(1);
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
      await dash.close();
      if (!process.env.IGPG_SCREENSHOT_DIR) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
