import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../browser';
import { startDashboard } from './server';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { Prior, createRng, initBackend, shutdownBackend, trainPrior, type PriorExample, type TokenLayout } from '@igpg/core';
import { runDemoVqvae } from './demoRun';
import { unpackZoo } from '@igpg/core';

const root = path.resolve(__dirname, '../../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small real prior training run (trainPrior on random codes of a toy layout): it logs loss, codes and lr. */
async function runToyPrior(dir: string): Promise<void> {
  const places: TokenLayout['places'] = [0, 1].flatMap((layer) => [0, 1, 2].map((c) => ({ layer, layers: 2, role: c === 2 ? 'bias' : 'kernel', offset: c * 16, tensorSize: 48 })));
  const rng = createRng(3);
  const examples: PriorExample[] = [{ codes: Int32Array.from({ length: 12 }, () => rng.int(16)), instructions: ['classify digits'], layout: { places },
    architecture: { name: 'mlp', description: 'MLP with 2 dense layers', params: 96, layers: 2, tensors: 4 } }];
  const prior = new Prior({ codebookSize: 16, codesPerChunk: 2, chunkSize: 16, dModel: 32, nLayers: 1, nHeads: 2, contextLength: 8, condDim: 16,
    instructionBuckets: 512, architectureBuckets: 256, datasetInputDim: 8, condDropout: 0, seed: 1 });
  try {
    await trainPrior({ prior, examples, dir, config: { steps: 30, batchSize: 2, lr: 1e-2, warmupSteps: 10, minLrFraction: 0.1, checkpointEvery: 0, seed: 1 }, progress: false });
  } finally {
    prior.dispose();
  }
}

/**
 * The dashboard in a real browser, fed by real runs of each kind: a small VQ-VAE run (core's tokenizer stage, runDemoVqvae),
 * a small prior run (trainPrior), the shipped runs/default prior's metrics replayed line by line as they were logged
 * (its codebook size comes from the config.json beside them), and a zoo build whose checkpoints (real entries of
 * zoo/default) arrive while the page watches. There is no periodic poll: every update comes from the file watcher.
 * Screenshots in $IGPG_SCREENSHOT_DIR or the temp dir.
 */
describe('dashboard in headless Chromium', () => {
  it('draws the panels of each run kind live, and reconnects after a server restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-browser-'));
    const shotDir = process.env.IGPG_SCREENSHOT_DIR ?? dir;
    unpackZoo(path.join(root, 'zoo/default')); // shipped packed
    const zooDir = path.join(dir, 'zoo-small');
    fs.mkdirSync(path.join(zooDir, 'entries'), { recursive: true });
    fs.copyFileSync(path.join(root, 'zoo/default/config.json'), path.join(zooDir, 'config.json'));
    const entries = (fs.readdirSync(path.join(root, 'zoo/default/entries'), { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort().slice(0, 60);
    const priorRows = fs.readFileSync(path.join(root, 'runs/default/prior/metrics.jsonl'), 'utf8').trim().split('\n').slice(0, 60);
    let dash = await startDashboard({ runs: dir, log: () => {} });
    const chrome = await launchChromium();
    try {
      const page = await chrome.browser.newPage({ viewport: { width: 1400, height: 1800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dash.url);
      await page.waitForFunction(() => (window as any).__igpg.connected === true);
      const S = () => page.evaluate(() => ({ ...(window as any).__igpg }));
      registerBuiltinArchitectures();
      await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} }); // both training runs share it
      const vq = runDemoVqvae({ out: path.join(dir, 'demo-vq'), zoo: path.join(root, 'zoo/default'), steps: 80, seed: 1 });
      fs.mkdirSync(path.join(dir, 'prior'));
      fs.copyFileSync(path.join(root, 'runs/default/prior/config.json'), path.join(dir, 'prior', 'config.json')); // codebookSize 256
      const toy = runToyPrior(path.join(dir, 'prior-toy'));
      for (let i = 0; i < priorRows.length; i += 10) {
        fs.appendFileSync(path.join(dir, 'prior', 'metrics.jsonl'), priorRows.slice(i, i + 10).join('\n') + '\n');
        entries.slice(i, i + 10).forEach((f) => {
          fs.mkdirSync(path.dirname(path.join(zooDir, 'entries', f)), { recursive: true });
          fs.copyFileSync(path.join(root, 'zoo/default/entries', f), path.join(zooDir, 'entries', f));
        });
        await sleep(60);
      }
      await Promise.all([vq, toy]);
      await page.waitForFunction((n) => (window as any).__igpg.rows >= n, 80 + 60 + 60 + 30, { timeout: 30_000 });
      await page.waitForTimeout(500); // let the coalesced redraw land
      const s = await S();
      expect(s.messages).toBeGreaterThanOrEqual(4); // snapshot + several streamed batches, all from the watcher
      expect([...s.panels].sort()).toEqual(['prior-loss', 'prior-lr', 'prior-speed', 'vq-dead', 'vq-perplexity', 'vq-recon', 'vq-usage', 'zoo-accuracy', 'zoo-progress']);
      const lineCount = (id: string) => page.evaluate((i) => document.querySelectorAll(`#${i} .scatterlayer .trace path.js-line`).length, id);
      const names = (id: string) => page.evaluate((i) => (document.getElementById(i) as any).data.filter((t: any) => t.y.some((v: unknown) => v !== null)).map((t: any) => t.name), id);
      // both runs and each one's uniform line, ln(256) from the shipped run's config.json and ln(16) from the toy run's
      expect((await names('prior-loss')).sort()).toEqual(['prior-toy/metrics', 'prior/metrics', 'uniform ln(16)', 'uniform ln(256)']);
      expect(await lineCount('prior-loss')).toBe(4);
      expect(await names('prior-speed')).toEqual(['prior-toy/metrics', 'prior/metrics']); // codes / s of both
      expect(await names('prior-lr')).toEqual(['prior-toy/metrics', 'prior/metrics']); // the shipped rows carry their lr too
      for (const id of ['vq-recon', 'vq-perplexity', 'vq-dead', 'zoo-progress']) expect(await lineCount(id), id).toBe(1);
      expect(await page.locator('#vq-usage .heatmaplayer image, #vq-usage .hm image').count()).toBeGreaterThan(0);
      expect(await page.locator('#zoo-accuracy .barlayer .point').count()).toBeGreaterThan(0);
      // every y axis says what it measures, with its unit
      const ytitles = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.panel')].map((p) => [p.id, p.querySelector('.ytitle')?.textContent ?? ''])));
      expect(ytitles).toMatchObject({ 'prior-loss': 'loss (nats per code)', 'prior-speed': 'codes / s', 'prior-lr': 'learning rate', 'vq-recon': 'masked MSE (normalised units, log)', 'vq-perplexity': 'perplexity (codes)', 'vq-dead': 'dead codes (count)', 'zoo-accuracy': 'checkpoints (count)', 'zoo-progress': 'checkpoints done (% of planned)' });
      const data = (id: string) => page.evaluate((i) => (document.getElementById(i) as any).data.map((t: any) => t.y?.length ?? t.x.length), id);
      expect(await data('vq-recon')).toEqual([80]);
      expect(await data('zoo-accuracy')).toEqual([60]);
      await page.screenshot({ path: path.join(shotDir, 'dashboard.png'), fullPage: true });
      for (const kind of ['prior', 'vqvae', 'zoo']) {
        const first = page.locator(`.panel[data-kind="${kind}"]`).first();
        await first.screenshot({ path: path.join(shotDir, `dashboard-${kind}.png`) });
      }

      // Restart the server on the same port: the page reconnects by itself and gets a fresh snapshot.
      const port = dash.port;
      await dash.close();
      await page.waitForFunction(() => (window as any).__igpg.connected === false);
      dash = await startDashboard({ runs: dir, port, log: () => {} });
      await page.waitForFunction(() => (window as any).__igpg.connected === true, undefined, { timeout: 15_000 });
      expect((await S()).reconnects).toBeGreaterThanOrEqual(1);
      expect(errors).toEqual([]);
    } finally {
      shutdownBackend();
      await chrome.close();
      await dash.close();
      if (!process.env.IGPG_SCREENSHOT_DIR) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000); // two training runs and a browser: minutes on a loaded machine

  it('shows every panel for the shipped runs/default and zoo/default on first start', async () => {
    unpackZoo(path.join(root, 'zoo/default'));
    const shotDir = process.env.IGPG_SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-shipped-'));
    const dash = await startDashboard({ runs: [path.join(root, 'runs/default'), path.join(root, 'zoo/default')], log: () => {} });
    const chrome = await launchChromium();
    try {
      const page = await chrome.browser.newPage({ viewport: { width: 1400, height: 1800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dash.url);
      await page.waitForFunction(() => (window as any).__igpg.panels.length >= 9, undefined, { timeout: 30_000 });
      await page.waitForTimeout(500);
      const s = await page.evaluate(() => ({ ...(window as any).__igpg }));
      expect([...s.panels].sort()).toEqual(['prior-loss', 'prior-lr', 'prior-speed', 'vq-dead', 'vq-perplexity', 'vq-recon', 'vq-usage', 'zoo-accuracy', 'zoo-progress']);
      const traces = (id: string) => page.evaluate((i) => (document.getElementById(i) as any).data.map((t: any) => [t.name, (t.z ?? t.y ?? t.x).length]), id);
      expect(await traces('prior-loss')).toEqual([['prior/metrics', 1500], ['uniform ln(256)', 2]]);
      expect(await traces('prior-lr')).toEqual([['prior/metrics', 1500]]);
      expect(await traces('vq-recon')).toEqual([['vqvae/metrics', 3000]]);
      expect(await traces('zoo-accuracy')).toEqual([['zoo/default', 1584]]);
      // the usage heatmap: the row igpg vqvae usage wrote (256 codes), titled as computed after training
      expect(await page.evaluate(() => (document.getElementById('vq-usage') as any).data[0].z[0].length)).toBe(256);
      expect(await page.locator('#vq-usage .gtitle').textContent()).toMatch(/computed after training/);
      await page.screenshot({ path: path.join(shotDir, 'dashboard-shipped.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
      await dash.close();
      if (!process.env.IGPG_SCREENSHOT_DIR) fs.rmSync(shotDir, { recursive: true, force: true });
    }
  }, 120_000);
});
