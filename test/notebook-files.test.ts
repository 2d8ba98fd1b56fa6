// The notebooks as committed (what a user opens on GitHub or in Jupyter before running anything): executed by
// notebooks/snapshot.mjs, so every code cell carries its execution count, figures are PNG snapshots, no output holds
// a copy of plotly.js, and the cells use the figure builders as documented (codeUsage() output as it is, the token
// grid's own categorical palette).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(__dirname, '../notebooks');
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();
const text = (v: unknown) => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');
interface Cell { cell_type: string; source: string[] | string; execution_count?: number | null; outputs?: { data?: Record<string, unknown> }[] }

describe('committed notebooks', () => {
  it.each(names)('%s: executed in order, PNG figures, no plotly.js copy, small', (name) => {
    const file = path.join(dir, name);
    const cells = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
    expect(cells.map((c) => c.execution_count), 'run `node notebooks/snapshot.mjs`').toEqual(cells.map((_, i) => i + 1));
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.data?.['image/png']).length, 'figure snapshots').toBeGreaterThan(0);
    expect(outputs.filter((o) => text(o.data?.['text/html']).includes('plotly.js v'))).toEqual([]);
    expect(outputs.filter((o) => o.data?.['application/vnd.plotly.v1+json'])).toEqual([]); // snapshotted to PNG
    expect(fs.statSync(file).size).toBeLessThan(2 * 1024 * 1024);
    const code = cells.map((c) => text(c.source)).join('\n');
    expect(code, 'pass codeUsage() output to figures.codebookUsage as it is').not.toMatch(/codebookUsage\(\{\s*counts: Array\.from/);
    expect(code, 'the token grid keeps its categorical palette').not.toMatch(/tokenGrid[\s\S]*colorscale: 'Viridis'|colorscale: 'Viridis'[\s\S]*tokenGrid/);
  });
});
