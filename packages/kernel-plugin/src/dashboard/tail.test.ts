import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsLog } from '@igpg/core';
import { createRunTailer, discoverRuns } from './tail';

const dirs: string[] = [];
const tmp = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-tail-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

describe('run tailer', () => {
  it('discovers runs in directories and single files', () => {
    const d = tmp();
    metricsLog(path.join(d, 'a', 'metrics.jsonl')).append({ step: 0 });
    metricsLog(path.join(d, 'b.jsonl')).append({ step: 0 });
    expect([...discoverRuns([d]).keys()].sort()).toEqual(['a/metrics', 'b']);
    expect([...discoverRuns([path.join(d, 'b.jsonl'), path.join(d, 'missing')]).keys()]).toEqual(['b']);
  });

  it('streams appended rows, holds a torn last line until it completes, and resets on truncation', () => {
    const d = tmp();
    const file = path.join(d, 'run', 'metrics.jsonl');
    const log = metricsLog(file);
    const bad: string[] = [];
    const tail = createRunTailer([d], { onBadLine: (_f, l) => bad.push(l) });
    expect(tail.poll()).toEqual([]);
    log.append({ step: 0, loss: 1 });
    expect(tail.poll()).toMatchObject([{ run: 'run/metrics', kind: 'reset', rows: [{ step: 0, loss: 1 }] }]);
    log.append({ step: 1, loss: 0.5 });
    fs.appendFileSync(file, '{"step": 2, "lo'); // a writer mid-append
    expect(tail.poll()).toMatchObject([{ kind: 'append', rows: [{ step: 1 }] }]);
    fs.appendFileSync(file, 'ss": 0.25}\nnot json\n');
    expect(tail.poll()).toMatchObject([{ kind: 'append', rows: [{ step: 2, loss: 0.25 }] }]);
    expect(bad).toEqual(['not json']);
    expect(tail.poll()).toEqual([]);
    log.truncateAfter(0); // resume from a checkpoint rewrites the file shorter
    expect(tail.poll()).toMatchObject([{ kind: 'reset', rows: [{ step: 0 }] }]);
    expect(tail.snapshot()['run/metrics']).toHaveLength(1);
  });

  it('keeps at most maxRowsPerRun rows per run', () => {
    const d = tmp();
    const log = metricsLog(path.join(d, 'r.jsonl'));
    for (let i = 0; i < 10; i++) log.append({ step: i });
    const tail = createRunTailer([d], { maxRowsPerRun: 4 });
    tail.poll();
    expect(tail.snapshot().r.map((r) => r.step)).toEqual([6, 7, 8, 9]);
  });
});
