// The bad-input corpus (issue #16): each row is one bad input, the exit code it must get (2 = bad usage: flags,
// missing or wrong paths on the command line; 1 = a failure while working, e.g. a corrupt checkpoint), and the
// text its one-line error must contain (the input it names). `out` is an output folder that must not be left behind.
import * as path from 'node:path';
import type { Fixtures } from './fixtures';
import { pipelineConfig, zooConfig } from './fixtures';

export interface BadInput {
  name: string;
  args: string[];
  code: 1 | 2;
  names: string;
  out?: string;
}

export function badInputs(f: Fixtures): BadInput[] {
  const out = (name: string) => path.join(f.dir, 'outputs', name); // never created by a failing case
  const gen = (...extra: string[]) => ['generate', '--instruction', 'classify the blobs', '--arch', 'mlp', '--dataset', 'blobs-4:all', '--generator', f.gen, ...extra];
  const genArch = (arch: unknown, ...extra: string[]) => ['generate', '--instruction', 'classify', '--arch', JSON.stringify(arch), '--generator', f.gen, ...extra];
  const zooWith = (name: string, patch: Record<string, unknown>) => f.config(name, { ...zooConfig, ...patch });
  const pipeWith = (name: string, patch: Record<string, unknown>) => f.config(name, { ...pipelineConfig, ...patch });
  const prior = (cfg: string, o = out(`prior-${path.basename(cfg)}`)) => ['prior', 'train', '--zoo', f.zoo, '--vqvae', f.vq, '--out', o, '--config', cfg];
  const tok = (cfg: string, o = out(`tok-${path.basename(cfg)}`)) => ['vqvae', 'train', '--zoo', f.zoo, '--out', o, '--config', cfg];
  const long = 'classify '.repeat(2000);
  const instrFile = f.config('instruction-1mb.txt', 'classify digits '.repeat(65_536));
  const emptyInstr = f.config('instruction-empty.txt', '\n');

  return [
    // the command line itself
    { name: 'unknown command', args: ['bogus'], code: 2, names: 'bogus' },
    { name: 'misspelt command', args: ['genrate'], code: 2, names: 'genrate' },
    { name: 'unknown option', args: [...gen(), '--bogus-flag'], code: 2, names: '--bogus-flag' },
    { name: 'missing required option', args: ['zoo', 'build', '--out', out('z0')], code: 2, names: '--config', out: out('z0') },
    { name: '--n not a number', args: gen('--n', 'abc'), code: 2, names: '--n' },
    { name: '--n zero', args: gen('--n', '0'), code: 2, names: '--n' },
    { name: '--n too many', args: gen('--n', '5000'), code: 2, names: '--n' },
    { name: '--seed negative', args: gen('--seed', '-1'), code: 2, names: '--seed' },
    { name: '--temperature not a number', args: gen('--temperature', 'hot'), code: 2, names: '--temperature' },
    { name: '--top-p above 1', args: gen('--top-p', '2'), code: 2, names: '--top-p' },
    { name: '--blend above 8', args: gen('--blend', '9'), code: 2, names: '--blend' },
    { name: '--blend-tolerance negative', args: gen('--blend-tolerance', '-1'), code: 2, names: '--blend-tolerance' },
    { name: '--format unknown', args: gen('--format', 'onnx', '--out', out('g-fmt')), code: 2, names: 'onnx', out: out('g-fmt') },
    { name: '--layout unknown', args: gen('--layout', 'keras'), code: 2, names: 'keras' },
    { name: '--backend unknown', args: ['--backend', 'tpu', ...gen()], code: 2, names: 'tpu' },
    { name: '--threads zero', args: ['--threads', '0', ...gen()], code: 2, names: '--threads' },
    { name: '--max-params not a number', args: gen('--max-params', 'lots'), code: 2, names: '--max-params' },
    // instructions (with a --dataset, no instruction is valid: the support set alone conditions the prior)
    { name: 'no instruction', args: ['generate', '--arch', 'mlp'], code: 2, names: '--instruction' },
    { name: 'empty instruction', args: ['generate', '--instruction', '', '--arch', 'mlp'], code: 2, names: '--instruction' },
    { name: 'blank instruction', args: ['generate', '--instruction', '   ', '--arch', 'mlp'], code: 2, names: '--instruction' },
    { name: 'emoji-only instruction', args: ['generate', '--instruction', '🐱🐶', '--arch', 'mlp', '--dataset', 'blobs-4:all'], code: 2, names: '🐱🐶' },
    { name: 'control-only instruction', args: ['generate', '--instruction', '\u001b[31m', '--arch', 'mlp', '--dataset', 'blobs-4:all'], code: 2, names: '\\x1b[31m' },
    { name: 'instruction over the length limit', args: ['generate', '--instruction', long, '--arch', 'mlp', '--dataset', 'blobs-4:all'], code: 2, names: '10000' },
    { name: 'both --instruction and --instruction-file', args: ['generate', '--instruction', 'x', '--instruction-file', instrFile, '--arch', 'mlp'], code: 2, names: '--instruction-file' },
    { name: '--instruction-file missing', args: ['generate', '--instruction-file', path.join(f.dir, 'nope.txt'), '--arch', 'mlp'], code: 2, names: 'nope.txt' },
    { name: '--instruction-file a folder', args: ['generate', '--instruction-file', f.empty, '--arch', 'mlp'], code: 2, names: 'empty-folder' },
    { name: '--instruction-file of 1 MB', args: ['generate', '--instruction-file', instrFile, '--arch', 'mlp'], code: 2, names: 'instruction-1mb.txt' },
    { name: '--instruction-file empty', args: ['generate', '--instruction-file', emptyInstr, '--arch', 'mlp'], code: 2, names: 'instruction-empty.txt' },
    // architectures and sizes
    { name: 'unknown architecture', args: genArch({ name: 'resnet-9000' }, '--dataset', 'mnist'), code: 2, names: 'resnet-9000' },
    { name: '--arch not JSON', args: genArch('x').map((a) => (a === '"x"' ? '{bad' : a)), code: 2, names: '--arch' },
    { name: '--arch unknown key', args: genArch({ name: 'mlp', spec: {}, extra: 1 }, '--dataset', 'mnist'), code: 2, names: 'extra' },
    { name: '--arch hidden 1e12', args: genArch({ name: 'mlp', spec: { hidden: [1e12] } }, '--dataset', 'mnist', '--out', out('g-1e12')), code: 2, names: '--max-params', out: out('g-1e12') },
    { name: '--arch hidden 1e7', args: genArch({ name: 'mlp', spec: { hidden: [1e7] } }, '--dataset', 'mnist'), code: 2, names: 'parameters' },
    { name: '--max-params below the spec', args: gen('--max-params', '10'), code: 2, names: 'limit of 10' },
    { name: '--arch negative width', args: genArch({ name: 'mlp', spec: { hidden: [-3] } }, '--dataset', 'mnist'), code: 2, names: '/hidden/0' },
    { name: '--arch without --dataset', args: genArch({ name: 'mlp', spec: {} }), code: 2, names: '--dataset' },
    { name: '--dataset unknown', args: gen().map((a) => (a === 'blobs-4:all' ? 'nope-set' : a)), code: 2, names: 'nope-set' },
    { name: '--dataset unknown class', args: gen().map((a) => (a === 'blobs-4:all' ? 'mnist:cat+dog' : a)), code: 2, names: 'cat' },
    // generator bundles
    { name: '--generator missing', args: gen().map((a) => (a === f.gen ? path.join(f.dir, 'no-gen') : a)), code: 2, names: 'no-gen' },
    { name: '--generator a file', args: gen().map((a) => (a === f.gen ? f.file : a)), code: 2, names: 'a-file.txt' },
    { name: '--generator not a bundle', args: gen().map((a) => (a === f.gen ? f.empty : a)), code: 2, names: 'empty-folder' },
    { name: '--generator a component, not the bundle', args: gen().map((a) => (a === f.gen ? f.prior : a)), code: 2, names: 'config.json' },
    // output folders
    { name: 'generate --out under /proc', args: gen('--out', '/proc/igpg-x'), code: 2, names: '/proc/igpg-x' },
    { name: 'generate --out a file', args: gen('--out', f.file), code: 2, names: 'a-file.txt' },
    { name: 'generate --out under a file', args: gen('--out', path.join(f.file, 'sub')), code: 2, names: 'a-file.txt' },
    // zoo configs
    { name: 'zoo --config missing', args: ['zoo', 'build', '--config', path.join(f.dir, 'nope.json'), '--out', out('z1')], code: 2, names: 'nope.json', out: out('z1') },
    { name: 'zoo --config not JSON', args: ['zoo', 'build', '--config', f.config('broken.json', '{oops'), '--out', out('z2')], code: 2, names: 'broken.json', out: out('z2') },
    { name: 'zoo --config a folder', args: ['zoo', 'build', '--config', f.empty, '--out', out('z3')], code: 2, names: 'empty-folder', out: out('z3') },
    { name: 'zoo config unknown key', args: ['zoo', 'build', '--config', zooWith('zoo-key.json', { bogusKey: 1 }), '--out', out('z4')], code: 2, names: 'bogusKey', out: out('z4') },
    { name: 'zoo config hidden 1e12', args: ['zoo', 'build', '--config', zooWith('zoo-big.json', { architectures: [{ name: 'mlp', spec: { hidden: [1e12] } }] }), '--out', out('z5')], code: 2, names: 'maxParams', out: out('z5') },
    { name: 'zoo config over its maxParams', args: ['zoo', 'build', '--config', zooWith('zoo-max.json', { maxParams: 10 }), '--out', out('z6')], code: 2, names: 'limit of 10', out: out('z6') },
    { name: 'zoo config unknown dataset', args: ['zoo', 'build', '--config', zooWith('zoo-ds.json', { tasks: ['nope-ds:all'] }), '--out', out('z7')], code: 2, names: 'nope-ds', out: out('z7') },
    { name: 'zoo config epochs not increasing', args: ['zoo', 'build', '--config', zooWith('zoo-ep.json', { epochs: [3, 2] }), '--out', out('z8')], code: 2, names: '/epochs', out: out('z8') },
    { name: 'zoo config not an object', args: ['zoo', 'build', '--config', f.config('zoo-arr.json', [1, 2]), '--out', out('z9')], code: 2, names: 'zoo-arr.json', out: out('z9') },
    { name: 'zoo --out under /proc', args: ['zoo', 'build', '--config', zooWith('zoo-ok.json', {}), '--out', '/proc/igpg-zoo'], code: 2, names: '/proc/igpg-zoo' },
    { name: 'zoo --out a file', args: ['zoo', 'build', '--config', zooWith('zoo-ok2.json', {}), '--out', f.file], code: 2, names: 'a-file.txt' },
    { name: 'zoo --workers zero', args: ['zoo', 'build', '--config', zooWith('zoo-ok3.json', {}), '--out', out('z10'), '--workers', '0'], code: 2, names: '--workers', out: out('z10') },
    { name: 'zoo --out holds another config', args: ['zoo', 'build', '--config', zooWith('zoo-other.json', { seeds: 3 }), '--out', f.zoo], code: 1, names: f.zoo },
    // training stages
    { name: 'tokenizer --zoo missing', args: ['vqvae', 'train', '--zoo', path.join(f.dir, 'no-zoo'), '--out', out('t1')], code: 2, names: 'no-zoo', out: out('t1') },
    { name: 'tokenizer --zoo not a zoo', args: ['vqvae', 'train', '--zoo', f.empty, '--out', out('t2')], code: 2, names: 'empty-folder', out: out('t2') },
    { name: 'tokenizer config lr "fast"', args: tok(pipeWith('tok-lr.json', { vqvae: { lr: 'fast' } })), code: 2, names: '/lr', out: out('tok-tok-lr.json') },
    { name: 'tokenizer config unknown section', args: tok(f.config('tok-sec.json', { bogusSection: {} })), code: 2, names: 'bogusSection', out: out('tok-tok-sec.json') },
    { name: 'tokenizer config chunkSize 0', args: tok(pipeWith('tok-chunk.json', { tokenizer: { chunkSize: 0 } })), code: 2, names: '/chunkSize', out: out('tok-tok-chunk.json') },
    { name: 'tokenizer VQ-VAE too big', args: tok(pipeWith('tok-big.json', { vqvae: { model: { hidden: [1e6, 1e6] } } })), code: 2, names: 'parameters', out: out('tok-tok-big.json') },
    { name: 'tokenizer --out under /proc', args: ['vqvae', 'train', '--zoo', f.zoo, '--out', '/proc/igpg-vq'], code: 2, names: '/proc/igpg-vq' },
    { name: 'tokenizer --check-seeds without --check', args: ['vqvae', 'train', '--zoo', f.zoo, '--out', out('t3'), '--check-seeds', '1'], code: 2, names: '--check', out: out('t3') },
    { name: 'prior config dModel -5', args: prior(pipeWith('p-dm.json', { prior: { dModel: -5 } })), code: 2, names: '/dModel', out: out('prior-p-dm.json') },
    { name: 'prior config lr "fast"', args: prior(pipeWith('p-lr.json', { priorTrain: { steps: 4, lr: 'fast' } })), code: 2, names: '/lr', out: out('prior-p-lr.json') },
    { name: 'prior config dModel not divisible by nHeads', args: prior(pipeWith('p-heads.json', { prior: { dModel: 6, nHeads: 4 } })), code: 2, names: 'nHeads', out: out('prior-p-heads.json') },
    { name: 'prior config dModel 1e5', args: prior(pipeWith('p-big.json', { prior: { dModel: 100_000 } })), code: 2, names: '--max-params', out: out('prior-p-big.json') },
    { name: 'prior config supportK "many"', args: prior(pipeWith('p-k.json', { supportK: 'many' })), code: 2, names: 'supportK', out: out('prior-p-k.json') },
    { name: 'prior --vqvae missing', args: ['prior', 'train', '--zoo', f.zoo, '--vqvae', path.join(f.dir, 'no-vq2'), '--out', out('p1')], code: 2, names: 'no-vq2', out: out('p1') },
    { name: 'prior --zoo missing', args: ['prior', 'train', '--zoo', path.join(f.dir, 'no-zoo2'), '--vqvae', f.vq, '--out', out('p2')], code: 2, names: 'no-zoo2', out: out('p2') },
    { name: 'prior --out a file', args: ['prior', 'train', '--zoo', f.zoo, '--vqvae', f.vq, '--out', f.file], code: 2, names: 'a-file.txt' },
    { name: 'prior --steps negative', args: ['prior', 'train', '--zoo', f.zoo, '--vqvae', f.vq, '--out', out('p3'), '--steps', '-1'], code: 2, names: '--steps', out: out('p3') },
    // corrupt files found while working: exit 1, naming the file and the defect
    { name: 'prior weights hold NaN', args: gen('--out', out('g-nan')).map((a) => (a === f.gen ? f.nanPrior : a)), code: 1, names: 'non-finite', out: out('g-nan') },
    { name: 'prior weights truncated', args: gen('--out', out('g-trunc')).map((a) => (a === f.gen ? f.truncatedPrior : a)), code: 1, names: 'gen-truncated', out: out('g-trunc') },
    { name: 'prior weights overlap', args: gen('--out', out('g-over')).map((a) => (a === f.gen ? f.overlapPrior : a)), code: 1, names: 'overlap', out: out('g-over') },
    { name: 'inspect an all-NaN zoo', args: ['inspect', f.nanZoo], code: 1, names: 'non-finite' },
    { name: 'inspect a truncated safetensors file', args: ['inspect', f.badSafetensors], code: 1, names: 'bad.safetensors' },
    { name: 'inspect a missing path', args: ['inspect', path.join(f.dir, 'ghost')], code: 2, names: 'ghost' },
    { name: 'inspect a path with an ESC sequence', args: ['inspect', path.join(f.dir, 'x\u001b[31mred')], code: 2, names: 'x\\x1b[31mred' },
    { name: 'inspect an unknown file type', args: ['inspect', f.file], code: 2, names: 'a-file.txt' },
    { name: 'zoo show a missing folder', args: ['zoo', 'show', path.join(f.dir, 'no-zoo3')], code: 2, names: 'no-zoo3' },
    { name: 'eval --zoo missing', args: ['eval', '--zoo', path.join(f.dir, 'no-zoo4'), '--generator', f.gen, '--out', out('e1')], code: 2, names: 'no-zoo4', out: out('e1') },
    { name: 'eval --generator missing', args: ['eval', '--zoo', f.zoo, '--generator', path.join(f.dir, 'no-gen2'), '--out', out('e2')], code: 2, names: 'no-gen2', out: out('e2') },
    { name: 'eval --out under /proc', args: ['eval', '--zoo', f.zoo, '--generator', f.gen, '--out', '/proc/igpg-report'], code: 2, names: '/proc/igpg-report' },
    { name: 'dashboard --runs missing', args: ['dashboard', '--runs', path.join(f.dir, 'no-runs')], code: 2, names: 'no-runs' },
    { name: 'dashboard --port out of range', args: ['dashboard', '--runs', f.dir, '--port', '70000'], code: 2, names: '--port' },
    { name: 'demo --config missing', args: ['demo', '--config', path.join(f.dir, 'no-config.json')], code: 2, names: 'no-config.json' },
    { name: 'demo --zoo-config not JSON', args: ['demo', '--config', f.config('demo-pipe.json', pipelineConfig), '--zoo-config', f.config('demo-broken.json', '[1,'), '--zoo', out('d1'), '--runs', out('d2')], code: 2, names: 'demo-broken.json', out: out('d1') },
  ];
}
