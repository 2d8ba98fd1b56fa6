#!/usr/bin/env node
// Execute the notebooks in place on the igpg-ts kernel and replace each figure output with a PNG snapshot, so that the
// committed notebooks show their plots on GitHub (which renders neither the plotly MIME type nor scripts) and stay small
// (no plotly JSON, no HTML fallback, no 10 MB plotly.js). Re-running a notebook in Jupyter brings the interactive plots back.
//
//   npm run build && node notebooks/snapshot.mjs                   # all notebooks (the quickstart needs `npm run demo` first)
//   node notebooks/snapshot.mjs --no-execute notebooks/03-*.ipynb  # only snapshot outputs already there
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const { installKernel, launchChromium, newPlotlyPage, PLOTLY_MIME } = require('@igpg/kernel-plugin');

const args = process.argv.slice(2);
const execute = !args.includes('--no-execute');
const files = args.filter((a) => !a.startsWith('--'));
const notebooks = files.length ? files : fs.readdirSync(here).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(here, f));

/** Run a notebook in place with Debian's Jupyter on a kernel installed into a temporary prefix. */
function executeInPlace(file, prefix) {
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--inplace', '--ExecutePreprocessor.kernel_name=igpg-ts',
    '--ExecutePreprocessor.timeout=600', file], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share/jupyter') } });
  if (r.status !== 0) throw new Error(`${file}: execution failed (exit ${r.status})`);
  console.log(`executed ${path.basename(file)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const text = (v) => (Array.isArray(v) ? v.join('') : v ?? '');
const pngLines = (dataUrl) => dataUrl.replace(/^data:image\/png;base64,/, '');

/** A figure as a PNG (base64), drawn by plotly.js in the page. */
async function figurePng(page, fig) {
  const width = 900, height = Number(fig.layout?.height ?? 450);
  return pngLines(await page.evaluate(async ({ fig, width, height }) => {
    const g = globalThis;
    const div = g.document.getElementById('plot') ?? g.document.body.appendChild(Object.assign(g.document.createElement('div'), { id: 'plot' }));
    await g.Plotly.newPlot(div, fig.data, { ...fig.layout, width, height }, { staticPlot: true });
    return g.Plotly.toImage(div, { format: 'png', width, height });
  }, { fig, width, height }));
}

/** An HTML view that draws itself with plotly.js (the codebook view), as a screenshot of its first element. */
async function htmlPng(page, html) {
  await page.evaluate((html) => {
    const g = globalThis, host = g.document.createElement('div');
    g.document.body.replaceChildren(host);
    host.innerHTML = html;
    for (const old of host.querySelectorAll('script')) { // scripts set through innerHTML do not run: re-create them
      const s = g.document.createElement('script');
      s.textContent = old.textContent;
      old.replaceWith(s);
    }
  }, html);
  await page.waitForTimeout(1500);
  const png = await page.locator('body > div > *').first().screenshot();
  await page.evaluate(() => globalThis.document.body.replaceChildren());
  return png.toString('base64');
}

const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-snapshot-'));
const chrome = await launchChromium();
try {
  if (execute) installKernel({ prefix });
  const page = await newPlotlyPage(chrome.browser, { width: 1000, height: 900 });
  for (const file of notebooks) {
    if (execute) executeInPlace(file, prefix);
    const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
    let figures = 0, views = 0;
    for (const cell of nb.cells) {
      // the one inlined copy of plotly.js (10 MB) only served the interactive figures, which become PNGs below
      if (cell.outputs) cell.outputs = cell.outputs.filter((o) => !text(o.data?.['text/html']).includes('plotly.js v'));
      for (const out of cell.outputs ?? []) {
        if (!out.data) continue;
        if (out.data[PLOTLY_MIME]) {
          out.data = { 'image/png': await figurePng(page, out.data[PLOTLY_MIME]), 'text/plain': out.data['text/plain'] ?? '' };
          figures++;
        } else if (/<script/.test(text(out.data['text/html']))) {
          out.data = { 'image/png': await htmlPng(page, text(out.data['text/html'])), 'text/plain': out.data['text/plain'] ?? '' };
          views++;
        }
        delete out.transient;
      }
    }
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(nb, null, 1) + '\n');
    fs.renameSync(tmp, file);
    console.log(`${path.basename(file)}: ${figures} figures and ${views} HTML views snapshotted, ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`);
  }
} finally {
  await chrome.close();
  fs.rmSync(prefix, { recursive: true, force: true });
}
