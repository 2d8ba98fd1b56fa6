// The model card's loading code runs as written: its ```python block in real PyTorch (/usr/bin/python3) and its
// ```js block as a plain tfjs module, each reproducing igpg's logits. Cards for zoo networks stand in for
// generated ones (the card does not care where the weights came from).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  assignWeights, getArchitecture, getDataset, initBackend, loadZooNetworks, networkWeights, saveNetworkSafetensors, saveTfjsWeights,
  shutdownBackend, writeModelCard, type ModelCardFields, type WeightLayout,
} from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { getTask, registerBuiltinDatasets } from '@igpg/datasets';

const root = path.resolve(__dirname, '..');
const block = (md: string, lang: string) => new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(md)?.[1];

describe('model card', () => {
  it('lists the facts and its PyTorch and tfjs code reproduce the logits (cnn-s torch layout, pooled MLP tfjs layout)', async () => {
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
    await initBackend({ backend: 'cpu' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-card-'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules')); // the js snippet imports tfjs
    const task = getTask('mnist:all');
    const before = tf.memory().numTensors;
    const layouts: Record<string, WeightLayout> = { 'cnn-s': 'torch', 'mlp-16': 'tfjs' };
    const cases: { label: string; logits: number[]; md: string }[] = [];
    for (const n of loadZooNetworks(path.join(root, 'zoo/default'), (e) => e.task.id === 'mnist:all' && e.epoch === 3 && e.seed === 0 && e.architecture.label in layouts)) {
      const { name, spec, label } = n.entry.architecture;
      const net = getArchitecture(name).build(spec, 1);
      assignWeights(net, n.flat);
      const w = networkWeights(net);
      saveNetworkSafetensors(path.join(dir, `${label}.safetensors`), w, { layout: layouts[label] });
      saveTfjsWeights(path.join(dir, label), w);
      const x = tf.fill([1, 28, 28, 1], 0.5);
      const y = net.apply(x);
      const fields: ModelCardFields = {
        name: label, instruction: 'classify handwritten digits', architecture: { name, spec, infos: w.infos, summary: getArchitecture(name).summary(spec) },
        task: { id: task.id, dataset: task.dataset, classes: task.classes }, support: { perClass: 5, seed: 1 }, generatorHash: 'ab'.repeat(32),
        sampling: { seed: 3, index: 0, temperature: 0.7, topK: 0 }, accuracy: 0.812, nearest: { id: n.entry.id, distance: 0, relative: 0 },
        files: { safetensors: { file: `${label}.safetensors`, layout: layouts[label] }, tfjsLayers: label },
      };
      const [mdFile, jsonFile] = writeModelCard(dir, fields);
      if (process.env.IGPG_KEEP_CARD) fs.copyFileSync(mdFile, process.env.IGPG_KEEP_CARD + '-' + label + '.md');
      cases.push({ label, logits: Array.from(y.dataSync()), md: fs.readFileSync(mdFile, 'utf8') });
      const card = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
      expect(card).toMatchObject({ instruction: 'classify handwritten digits', generatorHash: 'ab'.repeat(32), accuracy: 0.812, support: { seed: 1 } });
      expect(card.preprocessing.classes).toEqual(task.classes);
      tf.dispose([x, y]);
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    shutdownBackend();
    expect(cases.map((c) => c.label).sort()).toEqual(['cnn-s', 'mlp-16']);
    for (const c of cases) {
      expect(c.md).toContain('**"classify handwritten digits"**');
      expect(c.md).toMatch(/support-set seed 1/);
      expect(c.md).toMatch(/81\.2% on the `mnist:all` test split/);
      expect(c.md).toMatch(/class order:\*\* output j is class j of: 0 = 0, 1 = 1/);
      if (c.label === 'mlp-16') expect(c.md).toMatch(/inputPool 4:\*\* the input is \*\*average\*\*-pooled/);
      for (const [lang, run] of [['python', ['/usr/bin/python3', 'card.py']], ['js', [process.execPath, 'card.mjs']]] as const) {
        const code = block(c.md, lang);
        expect(code, `${c.label}: no \`\`\`${lang} block`).toBeDefined();
        fs.writeFileSync(path.join(dir, run[1]), code!);
        const r = spawnSync(run[0], [run[1]], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
        expect(r.status, `${c.label} ${lang}: ${r.stderr}`).toBe(0);
        const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
        expect(got).toHaveLength(10);
        got.forEach((v, j) => expect(Math.abs(v - c.logits[j]), `${c.label} ${lang} logit ${j}`).toBeLessThan(1e-4));
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000); // two PyTorch and two node processes; slow on a loaded machine
});
