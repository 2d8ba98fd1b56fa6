import type { CodebookUsage, EvalRow, Figure, MetricsRow, TokenChunk, WeightArray } from './types';

/**
 * Figure builders: pure functions from plain data to Plotly figures `{ data, layout }`.
 * They validate their input (clear errors, never silent fixes) and never touch a kernel or a browser.
 * @example show(codebookUsage({ counts: [5, 0, 3] }))
 */

const BASE_LAYOUT = { margin: { l: 60, r: 20, t: 50, b: 50 }, template: undefined, font: { size: 12 } };

function fail(fn: string, msg: string): never {
  throw new Error(`figures.${fn}: ${msg}`);
}

/** Axis pairs for `n` small multiples laid out on a grid: domains plus the axis ids traces refer to. */
function grid(n: number, cols = Math.ceil(Math.sqrt(n)), gap = 0.1) {
  const rows = Math.ceil(n / cols);
  const layout: Record<string, unknown> = {};
  const axes: Array<{ xaxis: string; yaxis: string }> = [];
  const w = (1 - gap * (cols - 1)) / cols;
  const h = (1 - gap * (rows - 1)) / rows;
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    const id = i === 0 ? '' : String(i + 1);
    const x0 = c * (w + gap), y1 = 1 - r * (h + gap);
    layout[`xaxis${id}`] = { domain: [x0, x0 + w], anchor: `y${id}` };
    layout[`yaxis${id}`] = { domain: [Math.max(0, y1 - h), y1], anchor: `x${id}` };
    axes.push({ xaxis: `x${id}`, yaxis: `y${id}` });
  }
  return { layout, axes, rows, cols };
}

/** Every key whose value is a finite number in at least one row, minus `exclude`. */
export function numericKeys(rows: MetricsRow[], exclude: string[] = ['time', 'step']): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) keys.add(k);
  return [...keys].filter((k) => !exclude.includes(k));
}

function checkCounts(fn: string, what: string, xs: unknown): number[] {
  if (!(Array.isArray(xs) || ArrayBuffer.isView(xs)) || (xs as ArrayLike<number>).length === 0) fail(fn, `${what} must be a non-empty array of numbers (a typed array is fine)`);
  const out = Array.from(xs as ArrayLike<unknown>);
  out.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(fn, `${what}[${i}] = ${String(v)}: counts must be finite and >= 0`);
  });
  return out as number[];
}

/**
 * Bar chart of code frequencies, plus a layers x codes heatmap when `perLayer` is given. Takes core's
 * `codeUsage()` result as it is (typed-array counts, perLayer as [{ layer, counts }]). The heatmap shows each
 * layer's share of its own codes (rows sum to 1), so a small layer is as readable as a big one.
 * @example show(figures.codebookUsage(codeUsage([encodeWeights(vq, tok, infos, flat)], 64)))
 */
export function codebookUsage(usage: CodebookUsage, opts: { title?: string } = {}): Figure {
  const counts = checkCounts('codebookUsage', 'counts', usage.counts);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const codes = counts.map((_, i) => i);
  const used = counts.filter((c) => c > 0).length;
  const bar = { type: 'bar', x: codes, y: counts.map((c) => c / total), name: 'frequency', marker: { color: '#3b6ea8' },
    hovertemplate: 'code %{x}<br>frequency %{y:.4f}<extra></extra>' };
  const title = opts.title ?? `Codebook usage: ${used}/${counts.length} codes used`;
  if (!usage.perLayer) {
    return { data: [bar], layout: { ...BASE_LAYOUT, title: { text: title }, xaxis: { title: { text: 'code' } }, yaxis: { title: { text: 'share of all codes' } }, bargap: 0 } };
  }
  const layerRows: { layer?: number; counts: ArrayLike<number> }[] = usage.perLayer.map((row) => ('counts' in row && !ArrayBuffer.isView(row) && !Array.isArray(row) ? row : { counts: row as ArrayLike<number> }));
  const perLayer = layerRows.map((row, l) => {
    const r = checkCounts('codebookUsage', `perLayer[${l}]`, row.counts);
    if (r.length !== counts.length) fail('codebookUsage', `perLayer[${l}] has ${r.length} codes but counts has ${counts.length}`);
    return r;
  });
  const names = usage.layerNames ?? layerRows.map((row, l) => `layer ${row.layer ?? l}`);
  if (names.length !== perLayer.length) fail('codebookUsage', `layerNames has ${names.length} names for ${perLayer.length} layers`);
  const share = perLayer.map((row) => {
    const n = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((c) => c / n);
  });
  const heat = { type: 'heatmap', z: share, customdata: perLayer, x: codes, y: names, xaxis: 'x2', yaxis: 'y2', colorscale: 'Viridis', zmin: 0,
    colorbar: { title: { text: 'share of layer' }, len: 0.42, y: 0.21 }, hovertemplate: '%{y}<br>code %{x}<br>%{z:.3f} of the layer (%{customdata} uses)<extra></extra>' };
  return {
    data: [bar, heat],
    layout: { ...BASE_LAYOUT, title: { text: title }, height: Math.max(600, 360 + 22 * names.length), bargap: 0,
      xaxis: { domain: [0, 1], anchor: 'y', title: { text: 'code' } }, yaxis: { domain: [0.58, 1], anchor: 'x', title: { text: 'share of all codes' } },
      xaxis2: { domain: [0, 1], anchor: 'y2', title: { text: 'code' } }, yaxis2: { domain: [0, 0.42], anchor: 'x2', autorange: 'reversed', title: { text: 'layer' }, automargin: true } },
  };
}

/** Training curves: one small panel per metric, one line per run. `runs` maps a run name to its rows. */
export function trainingCurves(runs: Record<string, MetricsRow[]> | MetricsRow[], opts: { keys?: string[]; x?: string; title?: string } = {}): Figure {
  const byRun = Array.isArray(runs) ? { run: runs } : runs;
  const all = Object.values(byRun).flat();
  if (all.length === 0) fail('trainingCurves', 'no rows: pass the rows of a metrics JSONL file (readJsonl(file))');
  const x = opts.x ?? 'step';
  const keys = opts.keys ?? numericKeys(all, ['time', x]);
  if (keys.length === 0) fail('trainingCurves', `rows have no numeric metrics besides "${x}"`);
  const g = grid(keys.length, Math.min(keys.length, 2));
  const data: Figure['data'] = [];
  const runNames = Object.keys(byRun);
  keys.forEach((k, i) => {
    runNames.forEach((run, j) => {
      const rows = byRun[run].filter((r) => typeof r[k] === 'number');
      data.push({ type: 'scatter', mode: 'lines', name: runNames.length > 1 ? `${run}` : k, legendgroup: run, showlegend: runNames.length > 1 ? i === 0 : false,
        x: rows.map((r, n) => (typeof r[x] === 'number' ? r[x] : n)), y: rows.map((r) => r[k]), ...g.axes[i], line: { color: PALETTE[j % PALETTE.length] } });
    });
    // losses and errors span decades: a log axis, when every value is positive
    const positive = all.every((r) => typeof r[k] !== 'number' || (r[k] as number) > 0);
    const log = /loss|mse|error|nll|recon/i.test(k) && positive;
    const ax = `${i === 0 ? '' : i + 1}`;
    g.layout[`yaxis${ax}`] = { ...(g.layout[`yaxis${ax}`] as object), title: { text: `${k}${log ? ' (log)' : ''}` }, ...(log ? { type: 'log' } : {}), automargin: true };
    // x titled on the bottom row only: a title between rows would sit on the panel below
    const bottom = Math.floor(i / g.cols) === g.rows - 1 || i + g.cols >= keys.length;
    g.layout[`xaxis${ax}`] = { ...(g.layout[`xaxis${ax}`] as object), ...(bottom ? { title: { text: x } } : {}), automargin: true };
  });
  const last = all.reduce((m, r) => Math.max(m, typeof r[x] === 'number' ? (r[x] as number) : 0), 0);
  const title = opts.title ?? `Training curves: ${keys.join(', ')} over ${last.toLocaleString('en-US')} ${x}s${runNames.length > 1 ? ` (${runNames.length} runs)` : ''}`;
  return { data, layout: { ...BASE_LAYOUT, ...g.layout, title: { text: title }, height: Math.max(320, 260 * g.rows), legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' }, margin: { ...BASE_LAYOUT.margin, t: 90 } } };
}

/** Codebook perplexity and dead codes over training (two y-axes), from metrics rows. */
export function perplexityAndDeadCodes(rows: MetricsRow[], opts: { x?: string } = {}): Figure {
  const x = opts.x ?? 'step';
  const p = rows.filter((r) => typeof r.perplexity === 'number');
  const d = rows.filter((r) => typeof r.deadCodes === 'number');
  if (p.length === 0 && d.length === 0) fail('perplexityAndDeadCodes', 'no row has "perplexity" or "deadCodes"; are these VQ-VAE training metrics?');
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'perplexity', x: p.map((r) => r[x]), y: p.map((r) => r.perplexity), line: { color: PALETTE[0] } },
      { type: 'scatter', mode: 'lines', name: 'dead codes', x: d.map((r) => r[x]), y: d.map((r) => r.deadCodes), yaxis: 'y2', line: { color: PALETTE[1], dash: 'dot' } },
    ],
    // the right axis needs its own margin, or its tick labels are cut off at the edge
    layout: { ...BASE_LAYOUT, margin: { l: 70, r: 80, t: 90, b: 60 }, title: { text: 'Codebook perplexity and dead codes' }, xaxis: { title: { text: x }, automargin: true },
      yaxis: { title: { text: 'perplexity (codes)' }, automargin: true, rangemode: 'tozero' }, yaxis2: { title: { text: 'dead codes (count)' }, overlaying: 'y', side: 'right', rangemode: 'tozero', automargin: true },
      legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' } },
  };
}

/** Token grid of one network: one row per layer, one cell per code; hover shows code, tensor and offset. */
export function tokenGrid(chunks: TokenChunk[], opts: { title?: string } = {}): Figure {
  if (!Array.isArray(chunks) || chunks.length === 0) fail('tokenGrid', 'no chunks: pass [{ position, codes }] for one network');
  const rows = new Map<number, TokenChunk[]>();
  for (const c of chunks) {
    if (!c.position || !Array.isArray(c.codes)) fail('tokenGrid', 'each chunk needs { position, codes: number[] }');
    const l = c.position.layer;
    if (!rows.has(l)) rows.set(l, []);
    rows.get(l)!.push(c);
  }
  const layers = [...rows.keys()].sort((a, b) => a - b);
  const width = Math.max(...layers.map((l) => rows.get(l)!.reduce((n, c) => n + c.codes.length, 0)));
  const z: Array<Array<number | null>> = [];
  const text: string[][] = [];
  for (const l of layers) {
    const zr: Array<number | null> = [], tr: string[] = [];
    for (const c of rows.get(l)!.sort((a, b) => a.position.chunk - b.position.chunk)) {
      c.codes.forEach((code, j) => {
        zr.push(code);
        tr.push(`code ${code}<br>layer ${l}/${c.position.layers}<br>${c.position.tensorName ?? c.position.tensor} (${c.position.role})<br>offset ${c.position.offset}, chunk ${c.position.chunk}, token ${j}`);
      });
    }
    while (zr.length < width) { zr.push(null); tr.push(''); }
    z.push(zr); text.push(tr);
  }
  // code ids are labels, not quantities: each code gets one of the categorical palette's colours by a hash of its
  // id (neighbouring ids land far apart), drawn as a stepped colour scale without a colour bar
  const zc = z.map((row) => row.map((code) => (code === null ? null : hashCode(code) % CATEGORICAL.length)));
  const n = CATEGORICAL.length;
  const colorscale = CATEGORICAL.flatMap((c, i) => [[i / n, c], [(i + 1) / n, c]]);
  return {
    data: [{ type: 'heatmap', z: zc, zmin: -0.5, zmax: n - 0.5, text, hoverinfo: 'text', y: layers.map((l) => `layer ${l}`), colorscale, showscale: false,
      // 1-pixel gaps would hide every cell once a row holds hundreds of tokens
      ...(width <= 200 ? { xgap: 1, ygap: 1 } : {}) }],
    layout: { ...BASE_LAYOUT, title: { text: opts.title ?? `Token grid: ${chunks.length} chunks over ${layers.length} layers (colour = code id, hashed; hover for code and position)` },
      xaxis: { title: { text: 'token within layer' } }, yaxis: { title: { text: 'layer' }, autorange: 'reversed', automargin: true }, height: Math.max(250, 40 * layers.length + 120) },
  };
}

/** A well-mixed hash of a code id (so neighbouring ids get unrelated colours). */
function hashCode(code: number): number {
  let h = Math.imul(code ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Histogram of weights per layer (all tensors of a layer together), one small panel per layer. */
export function weightHistograms(weights: WeightArray[], opts: { bins?: number; roles?: string[]; title?: string } = {}): Figure {
  const ws = opts.roles ? weights.filter((w) => opts.roles!.includes(w.role ?? 'other')) : weights;
  if (ws.length === 0) fail('weightHistograms', opts.roles ? `no tensor has a role in [${opts.roles.join(', ')}]` : 'no weight tensors given');
  const byLayer = new Map<number, number[]>();
  for (const w of ws) {
    if (!byLayer.has(w.layer)) byLayer.set(w.layer, []);
    const arr = byLayer.get(w.layer)!;
    for (let i = 0; i < w.values.length; i++) arr.push(w.values[i]);
  }
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  const g = grid(layers.length);
  const data = layers.map((l, i) => ({ type: 'histogram', x: byLayer.get(l), nbinsx: opts.bins ?? 60, name: `layer ${l}`, ...g.axes[i],
    marker: { color: PALETTE[i % PALETTE.length] }, showlegend: false }));
  const annotations = layers.map((l, i) => ({ text: `layer ${l} (${byLayer.get(l)!.length} values)`, showarrow: false,
    xref: `${g.axes[i].xaxis} domain`, yref: `${g.axes[i].yaxis} domain`, x: 0.5, y: 1.08, font: { size: 11 } }));
  layers.forEach((_, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    g.layout[`xaxis${ax}`] = { ...(g.layout[`xaxis${ax}`] as object), title: { text: 'weight value', standoff: 2 }, automargin: true };
    g.layout[`yaxis${ax}`] = { ...(g.layout[`yaxis${ax}`] as object), title: { text: 'count' }, automargin: true };
  });
  return { data, layout: { ...BASE_LAYOUT, ...g.layout, annotations, title: { text: opts.title ?? 'Weight histograms per layer' }, height: Math.max(340, 260 * g.rows) } };
}

/** Every `step`-th value so a plot stays under `maxPoints` points. */
function strided(values: ArrayLike<number>, maxPoints: number) {
  const step = Math.max(1, Math.ceil(values.length / maxPoints));
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < values.length; i += step) { x.push(i); y.push(values[i]); }
  return { x, y };
}

/** Original vs reconstructed vs generated weights: overlaid (top) and as differences from the original (bottom). */
export function compareWeights(arrays: { original: ArrayLike<number>; reconstructed?: ArrayLike<number>; generated?: ArrayLike<number> },
  opts: { maxPoints?: number; title?: string } = {}): Figure {
  const maxPoints = opts.maxPoints ?? 4000;
  const { original } = arrays;
  const others = (['reconstructed', 'generated'] as const).filter((k) => arrays[k] !== undefined);
  if (!original || original.length === 0) fail('compareWeights', 'original must be a non-empty array');
  if (others.length === 0) fail('compareWeights', 'give reconstructed and/or generated weights to compare with the original');
  const data: Figure['data'] = [{ type: 'scattergl', mode: 'lines', name: 'original', ...strided(original, maxPoints), line: { color: '#222', width: 1 } }];
  others.forEach((k, i) => {
    const v = arrays[k]!;
    if (v.length !== original.length) fail('compareWeights', `${k} has ${v.length} values but original has ${original.length}`);
    const diff = new Float64Array(v.length);
    let se = 0;
    for (let j = 0; j < v.length; j++) { diff[j] = v[j] - original[j]; se += diff[j] * diff[j]; }
    const color = PALETTE[i + 1];
    data.push({ type: 'scattergl', mode: 'lines', name: k, ...strided(v, maxPoints), line: { color, width: 1 }, opacity: 0.8 });
    data.push({ type: 'scattergl', mode: 'lines', name: `${k} − original (rmse ${Math.sqrt(se / v.length).toExponential(2)})`, ...strided(diff, maxPoints), xaxis: 'x2', yaxis: 'y2', line: { color, width: 1 } });
  });
  return { data, layout: { ...BASE_LAYOUT, title: { text: opts.title ?? 'Original vs reconstructed vs generated weights' }, height: 550,
    xaxis: { anchor: 'y', domain: [0, 1] }, yaxis: { domain: [0.55, 1], title: { text: 'value' } },
    xaxis2: { anchor: 'y2', domain: [0, 1], title: { text: 'parameter index' } }, yaxis2: { domain: [0, 0.42], title: { text: 'difference' } } } };
}

/** Evaluation table (a Plotly table) from rows; numbers are shown with `digits` decimals. */
export function evalTable(rows: EvalRow[], opts: { columns?: string[]; digits?: number; title?: string } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0) fail('evalTable', 'no rows to show');
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const digits = opts.digits ?? 4;
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : v == null ? '' : String(v));
  return {
    data: [{ type: 'table', header: { values: columns.map((c) => `<b>${c}</b>`), fill: { color: '#dde6f0' }, align: 'left' },
      cells: { values: columns.map((c) => rows.map((r) => fmt(r[c]))), align: 'left' } }],
    layout: { ...BASE_LAYOUT, title: { text: opts.title ?? 'Evaluation' }, height: Math.min(900, 120 + 28 * rows.length) },
  };
}

/**
 * Generated vs pretrained accuracy: grouped bars per task, from rows like { task, pretrained, generated, random? }.
 * A chance mark per task comes from a `chance` column, else from `classes` (1 / classes), else `opts.chance`.
 */
export function accuracyComparison(rows: EvalRow[], opts: { label?: string; series?: string[]; title?: string; chance?: number } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0) fail('accuracyComparison', 'no rows to plot');
  const label = opts.label ?? 'task';
  const series = opts.series ?? numericKeys(rows as MetricsRow[], [label, 'chance', 'classes']);
  if (series.length === 0) fail('accuracyComparison', 'rows have no numeric columns to plot');
  const x = rows.map((r) => String(r[label]));
  const data: Figure['data'] = series.map((s, i) => ({ type: 'bar', name: s, x, y: rows.map((r) => r[s] ?? null),
    marker: { color: PALETTE[i % PALETTE.length] }, hovertemplate: `%{x}<br>${s} %{y:.4f}<extra></extra>` }));
  const chance = rows.map((r) => (typeof r.chance === 'number' ? r.chance : typeof r.classes === 'number' ? 1 / r.classes : opts.chance ?? null));
  const chanceAxis = chance.some((c) => c !== null) ? chanceLines(x, chance) : undefined;
  if (chanceAxis) data.push(chanceAxis.trace);
  // legend above the plot (never over an axis title); both axes take the room their labels need (no "pretrai").
  // Slanted tick labels reach left of their tick: the first one needs a left margin of about its width (automargin
  // grows the bottom only).
  const slant = rows.length > 4;
  const longest = Math.max(...x.map((t) => t.length));
  const left = slant ? Math.max(70, Math.round(longest * 6 * Math.cos(Math.PI / 6)) - 40) : 70;
  return { data, layout: { ...BASE_LAYOUT, margin: { l: left, r: 20, t: 120, b: 40 }, barmode: 'group', title: { text: opts.title ?? 'Accuracy: generated vs pretrained' },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
    xaxis: { title: { text: label }, automargin: true, tickangle: slant ? -30 : 0, ...(chanceAxis ? { range: chanceAxis.range } : {}) },
    ...(chanceAxis ? { xaxis2: chanceAxis.axis } : {}),
    // slanted labels take about half their length in height below the axis: the plot keeps ~330 px above them
    yaxis: { title: { text: 'test accuracy (fraction)' }, automargin: true, rangemode: 'tozero' }, height: 460 + (slant ? Math.round(longest * 3) : 0) } };
}

/**
 * The chance level of each bar group as a short horizontal line spanning exactly that group. A category axis cannot
 * place a point between categories, so the lines live on a hidden linear axis laid over it: category i spans
 * [i - 0.5, i + 0.5] on both, and a group's bars fill the middle 0.8 (plotly's default bargap 0.2).
 */
function chanceLines(categories: string[], chance: Array<number | null>, opts: { xaxis?: string; yaxis?: string } = {}) {
  const xs: Array<number | null> = [], ys: Array<number | null> = [], text: Array<string | null> = [];
  chance.forEach((c, i) => {
    if (c === null) return;
    xs.push(i - 0.4, i + 0.4, null);
    ys.push(c, c, null);
    text.push(categories[i], categories[i], null);
  });
  const range = [-0.5, categories.length - 0.5];
  return {
    range,
    trace: { type: 'scatter', mode: 'lines', name: 'chance', x: xs, y: ys, text, xaxis: opts.xaxis ?? 'x2', ...(opts.yaxis ? { yaxis: opts.yaxis } : {}),
      line: { color: '#000', width: 2 }, hovertemplate: '%{text}<br>chance %{y:.3f}<extra></extra>' },
    axis: { overlaying: 'x', range, visible: false, fixedrange: true },
  };
}

/** Colour-blind-safe categorical palette (Okabe-Ito plus greys) for code ids. */
const CATEGORICAL = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000', '#999999', '#7F3C8D', '#11A579', '#3969AC'];

const PALETTE = ['#3b6ea8', '#d1603d', '#4c9a5b', '#8e5ea2', '#c59b2b', '#2ba3a3', '#b0476b', '#6b6b6b'];
