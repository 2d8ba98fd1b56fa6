import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic';
import { mdTable } from '../util/markdown';
import type { ParamInfo } from '../sdk/types';
import type { WeightLayout } from '../sdk/layout';

/**
 * A model card beside a generated network, Hugging Face style: `<name>.card.md` (YAML front matter + what it is,
 * how it was made, how to feed it, how to load it) and `<name>.card.json` (the same facts, machine-readable).
 * The loading code in the card is complete and runnable; test/model-card.test.ts runs both snippets.
 */
export interface ModelCardFields {
  /** File stem of the network, e.g. 'generated-0'. */
  name: string;
  /** '' when the network was generated from the dataset condition alone. */
  instruction: string;
  architecture: { name: string; spec: Record<string, unknown>; infos: ParamInfo[]; summary?: string };
  /** The task the network was generated for: id, dataset, class names in output order. */
  task?: { id: string; dataset: string; classes: string[] };
  /** The dataset condition: samples per class and the seed that drew them. */
  support?: { perClass: number; seed: number };
  /** sha256 of the generator bundle's config.json ('' when the generator was never saved as a bundle). */
  generatorHash: string;
  /** Sampling options as used (the bundle's, with any overrides); `index` is this network's place in the batch drawn with `seed`. */
  sampling: { seed: number; index: number; temperature?: number; topK?: number; topP?: number; sampledLevels?: number; candidates?: number; blend?: number; blendTolerance?: number; guidance?: number };
  /** Test accuracy on the task, as a fraction. */
  accuracy?: number;
  /** The closest zoo checkpoint (L2 over the flat weights) and its distance; `space` says which weights (default 'raw'). */
  nearest?: { id: string; distance: number; relative?: number; space?: string };
  /** The files written, relative to the card's folder. */
  files: { safetensors?: { file: string; layout: WeightLayout }; tfjsLayers?: string; tfjsWeights?: string };
}

/** What a user must feed the network: the facts a wrong guess silently costs accuracy for. */
export interface Preprocessing {
  pixelScale: string;
  inputShape: number[];
  layout: string;
  inputPool?: { kind: 'average'; size: number; torch: string };
  flattenOrder?: string;
  classes?: string[];
}

function preprocessingOf(fields: ModelCardFields): Preprocessing {
  const spec = fields.architecture.spec;
  const shape = spec.inputShape as number[];
  const image = shape.length === 3;
  const pool = Number(spec.inputPool ?? 1);
  return {
    pixelScale: image ? 'float32 in [0, 1] (byte / 255), no mean/std normalisation' : 'the dataset features as float32, unscaled',
    inputShape: shape,
    layout: image ? `tfjs NHWC (N, ${shape.join(', ')}); PyTorch NCHW (N, ${shape[2]}, ${shape[0]}, ${shape[1]}) = x.permute(0, 3, 1, 2)` : `(N, ${shape.join(', ')})`,
    ...(pool > 1 ? { inputPool: { kind: 'average' as const, size: pool, torch: `F.avg_pool2d(x, ${pool})` } } : {}),
    ...(image ? { flattenOrder: 'tfjs flattens NHWC (h, w, c); the PyTorch code below flattens NCHW with x.flatten(1) on torch-layout weights' } : {}),
    ...(fields.task ? { classes: fields.task.classes } : {}),
  };
}

const ACT_TORCH: Record<string, string> = { tanh: 'torch.tanh', relu: 'torch.relu', sigmoid: 'torch.sigmoid', gelu: 'F.gelu' };

/** The nn.Module for the built-in architectures PyTorch can rebuild from the spec alone; undefined otherwise. */
function torchModule(arch: string, spec: Record<string, unknown>, infos: ParamInfo[]): string | undefined {
  const act = ACT_TORCH[String(spec.activation)];
  if (!act) return undefined;
  const shape = (name: string) => infos.find((i) => i.name === name)?.shape;
  if (arch === 'cnn-s' || arch === 'cnn-l') {
    const [cin] = (spec.inputShape as number[]).slice(2);
    const [ch, k, pools] = [spec.channels, spec.kernels, spec.pools].map((v) => JSON.stringify(v));
    const [flat, hidden] = shape('fc1.weight')!;
    return [
      'class Net(nn.Module):  # conv -> act -> max-pool (x3) -> flatten -> fc1 -> act -> fc2',
      '    def __init__(self):',
      '        super().__init__()',
      `        ch, k, self.pools = ${ch}, ${k}, ${pools}`,
      `        self.conv1, self.conv2, self.conv3 = nn.Conv2d(${cin}, ch[0], k[0]), nn.Conv2d(ch[0], ch[1], k[1]), nn.Conv2d(ch[1], ch[2], k[2])`,
      `        self.fc1, self.fc2 = nn.Linear(${flat}, ${hidden}), nn.Linear(${hidden}, ${spec.classes})`,
      '    def forward(self, x):  # x: (N, C, H, W) in [0, 1]',
      '        for conv, p in zip([self.conv1, self.conv2, self.conv3], self.pools):',
      `            x = ${act}(conv(x))`,
      '            x = F.max_pool2d(x, p) if p > 1 else x',
      `        return self.fc2(${act}(self.fc1(x.flatten(1))))`,
    ].join('\n');
  }
  if (arch === 'mlp') {
    const widths = infos.filter((i) => i.role === 'kernel').map((i) => i.shape);
    const pool = Number(spec.inputPool ?? 1);
    return [
      `class Net(nn.Module):  # ${pool > 1 ? `average-pool ${pool} -> ` : ''}flatten -> Linear layers with ${spec.activation} between`,
      '    def __init__(self):',
      '        super().__init__()',
      `        self.layers = nn.ModuleList([${widths.map(([i, o]) => `nn.Linear(${i}, ${o})`).join(', ')}])`,
      '    def forward(self, x):',
      ...(pool > 1 ? [`        x = F.avg_pool2d(x, ${pool})  # inputPool: AVERAGE pooling (max-pooling loads fine and silently loses accuracy)`] : []),
      '        x = x.flatten(1)',
      '        for i, layer in enumerate(self.layers):',
      `            x = layer(x) if i == len(self.layers) - 1 else ${act}(layer(x))`,
      '        return x',
    ].join('\n');
  }
  return undefined;
}

// safetensors.torch.load_file, or (without `pip install safetensors`) a reader for the F32 files igpg writes
const LOAD_FILE = `try:
    from safetensors.torch import load_file
except ImportError:
    import json, struct
    def load_file(path):
        raw = open(path, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header, body = json.loads(raw[8:8 + n]), raw[8 + n:]
        return {k: torch.frombuffer(bytearray(body[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=torch.float32).reshape(v["shape"])
                for k, v in header.items() if k != "__metadata__"}`;

// tfjs-layout tensors -> PyTorch's (sdk/layout.ts): conv [kh,kw,in,out] -> [out,in,kh,kw]; dense [in,out] -> [out,in],
// rows of a dense fed by a flattened map reordered from (h, w, c) to (c, h, w)
function toTorchPython(infos: ParamInfo[]): string {
  const flattened = Object.fromEntries(infos.filter((i) => i.flattenedFrom).map((i) => [i.name, i.flattenedFrom]));
  return `def tfjs_to_torch(sd, flattened=${JSON.stringify(flattened).replace(/"/g, "'")}):
    out = {}
    for name, w in sd.items():
        if w.dim() == 4:
            w = w.permute(3, 2, 0, 1)
        elif w.dim() == 2:
            if name in flattened:
                h, wd, c = flattened[name]
                w = w.reshape(h, wd, c, -1).permute(2, 0, 1, 3).reshape(h * wd * c, -1)
            w = w.t()
        out[name] = w.contiguous()
    return out`;
}

/** The PyTorch loading code of the card, or undefined when there is no safetensors file or no module for it. */
function pytorchSnippet(fields: ModelCardFields): string | undefined {
  const st = fields.files.safetensors;
  const { name, spec, infos } = fields.architecture;
  const module = torchModule(name, spec, infos);
  if (!st || !module) return undefined;
  const shape = spec.inputShape as number[];
  const x = shape.length === 3 ? `torch.full((1, ${shape[2]}, ${shape[0]}, ${shape[1]}), 0.5)  # (N, C, H, W) in [0, 1]` : `torch.full((1, ${shape.join(', ')}), 0.5)`;
  return [
    'import json, torch, torch.nn as nn, torch.nn.functional as F',
    LOAD_FILE,
    '',
    module,
    '',
    ...(st.layout === 'tfjs' ? [toTorchPython(infos), ''] : []),
    'model = Net()',
    `state = load_file(${JSON.stringify(st.file)})`,
    `model.load_state_dict(${st.layout === 'tfjs' ? 'tfjs_to_torch(state)' : 'state'}, strict=True)  # ${st.layout === 'tfjs' ? 'stored in tfjs layout' : 'stored in PyTorch layout'}`,
    'model.eval()',
    `x = ${x}`,
    'with torch.no_grad():',
    '    print(json.dumps(model(x)[0].tolist()))  # logits; class j = the j-th class listed above',
  ].join('\n');
}

/** The tfjs loading code of the card (a plain tfjs ES module, no igpg), or undefined without a Layers model. */
function tfjsSnippet(fields: ModelCardFields): string | undefined {
  const dir = fields.files.tfjsLayers;
  if (!dir) return undefined;
  const shape = fields.architecture.spec.inputShape as number[];
  return [
    "import * as fs from 'node:fs';",
    "import * as tf from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-backend-cpu';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    '',
    `// In a browser: const model = await tfl.loadLayersModel('<url of ${dir}>/model.json');`,
    "// In Node with @tensorflow/tfjs-node: tf.loadLayersModel('file:///abs/path/model.json'). Without it, from the files:",
    `const json = JSON.parse(fs.readFileSync(${JSON.stringify(`${dir}/model.json`)}, 'utf8'));`,
    `const bin = fs.readFileSync(${JSON.stringify(`${dir}/weights.bin`)});`,
    'const model = await tfl.loadLayersModel(tf.io.fromMemory({',
    '  modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,',
    '  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),',
    '}));',
    `const x = tf.fill([1, ${shape.join(', ')}], 0.5); // ${shape.length === 3 ? '(N, H, W, C) in [0, 1]' : '(N, features)'}`,
    'console.log(JSON.stringify(Array.from(await model.predict(x).data()))); // logits',
  ].join('\n');
}

const pct = (a: number) => `${(100 * a).toFixed(1)}%`;

/** The card as markdown (what `writeModelCard` saves as `<name>.card.md`). */
function modelCardMarkdown(fields: ModelCardFields): string {
  const { architecture: arch, task, sampling: s } = fields;
  const pre = preprocessingOf(fields);
  const params = arch.infos.reduce((n, i) => n + i.shape.reduce((a, b) => a * b, 1), 0);
  const sampling = [`seed ${s.seed} (network ${s.index} of the batch)`, s.temperature !== undefined && `temperature ${s.temperature}`,
    s.topK !== undefined && `top-k ${s.topK}`, s.topP !== undefined && `top-p ${s.topP}`, s.sampledLevels !== undefined && `sampled levels ${s.sampledLevels}`,
    s.candidates !== undefined && `candidates ${s.candidates}`, s.blend !== undefined && s.blend > 1 && `blend of ${s.blend} samples (support-loss tolerance ${s.blendTolerance ?? 0})`,
    s.guidance !== undefined && `guidance ${s.guidance}`].filter(Boolean).join(', ');
  const py = pytorchSnippet(fields);
  const js = tfjsSnippet(fields);
  const lines = [
    '---',
    'library_name: igpg',
    `tags: [igpg, generated-weights, ${arch.name}]`,
    ...(task ? [`datasets: [${task.dataset}]`, 'pipeline_tag: image-classification'] : []),
    '---',
    `# ${fields.name}`,
    '',
    fields.instruction ? `Network weights generated by igpg from the instruction **"${fields.instruction}"**.` : 'Network weights generated by igpg with no instruction: the dataset condition (support images of the task) alone said what to make.',
    '',
    mdTable(['', ''], [
      ['architecture', `\`${arch.name}\`: ${arch.summary ?? `${params.toLocaleString('en-US')} parameters`}`],
      ['spec', `\`${JSON.stringify(arch.spec)}\``],
      ['task', task ? `\`${task.id}\` (dataset \`${task.dataset}\`)` : 'none given'],
      ['dataset condition', fields.support ? `${fields.support.perClass} samples per class, support-set seed ${fields.support.seed}` : 'none'],
      ['generator bundle', fields.generatorHash ? `sha256 \`${fields.generatorHash}\`` : 'unsaved generator (no bundle hash)'],
      ['sampling', sampling],
      ['test accuracy', fields.accuracy !== undefined && task ? `${pct(fields.accuracy)} on the \`${task.id}\` test split` : 'not measured'],
      ['nearest zoo checkpoint', fields.nearest ? `\`${fields.nearest.id}\`, L2 distance ${fields.nearest.distance.toPrecision(4)} over the ${fields.nearest.space ?? 'raw'} weights${fields.nearest.relative !== undefined ? ` (${fields.nearest.relative.toFixed(3)} of the weight norm)` : ''}` : 'not measured'],
    ]),
    '',
    '## Preprocessing',
    `- **pixel scale:** ${pre.pixelScale}`,
    `- **input:** ${pre.layout}`,
    ...(pre.inputPool ? [`- **inputPool ${pre.inputPool.size}:** the input is **average**-pooled by ${pre.inputPool.size} (window = stride, no padding) before flattening: PyTorch \`${pre.inputPool.torch}\`. Max-pooling loads just as well and silently loses accuracy.`] : []),
    ...(pre.flattenOrder ? [`- **flatten order:** ${pre.flattenOrder}`] : []),
    ...(pre.classes ? [`- **class order:** output j is class j of: ${pre.classes.map((c, j) => `${j} = ${c}`).join(', ')}`] : []),
    '',
    '## Load in PyTorch',
    ...(py ? ['```python', py, '```'] : [`No PyTorch module is written out for \`${arch.name}\`; see packages/architectures/README.md for its nn.Module and use the safetensors file.`]),
    '',
    '## Load in TensorFlow.js',
    ...(js ? ['```js', js, '```'] : [`\`${arch.name}\` has no tfjs Layers export; rebuild it with igpg: \`getArchitecture('${arch.name}').build(spec, 0)\` and \`assignWeights(net, loadTfjsWeights(dir).flat)\`.`]),
    '',
  ];
  return lines.join('\n');
}

/**
 * Write `<dir>/<name>.card.md` and `<dir>/<name>.card.json` (atomically). Returns both paths.
 * @example writeModelCard('out', { name: 'generated-0', instruction, architecture, generatorHash, sampling: { seed: 1, index: 0 }, files: { safetensors: { file: 'generated-0.safetensors', layout: 'torch' } } });
 */
export function writeModelCard(dir: string, fields: ModelCardFields): string[] {
  const md = path.join(dir, `${fields.name}.card.md`);
  const json = path.join(dir, `${fields.name}.card.json`);
  writeFileAtomic(md, Buffer.from(modelCardMarkdown(fields), 'utf8'));
  const { infos, ...architecture } = fields.architecture;
  writeJsonAtomic(json, { ...fields, architecture: { ...architecture, params: infos.reduce((n, i) => n + i.shape.reduce((a, b) => a * b, 1), 0) }, preprocessing: preprocessingOf(fields), pytorch: pytorchSnippet(fields) ?? null, tfjs: tfjsSnippet(fields) ?? null });
  return [md, json];
}
