import * as fs from 'node:fs';
import * as path from 'node:path';
import { readIdx } from './idx';
import { materialize, type ArraySource } from './select';
import type { DatasetPlugin } from './types';

/** Where Debian's `dataset-fashion-mnist` puts the original idx files. Override with IGPG_FASHION_MNIST_DIR. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const FILES = {
  train: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
} as const;

// Parsed splits, kept as bytes (47 MB for train) per directory; converted to float only for the samples asked for.
const cache = new Map<string, ArraySource>();

function loadSplit(dir: string, split: 'train' | 'test'): ArraySource {
  const key = `${dir}|${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [imgFile, lblFile] = FILES[split].map((f) => path.join(dir, f));
  for (const f of [imgFile, lblFile]) {
    if (!fs.existsSync(f)) {
      throw new Error(
        `fashion-mnist: ${f} not found. Install the dataset with \`sudo apt-get install dataset-fashion-mnist\` ` +
          `(Debian/Ubuntu; or run \`bash scripts/setup.sh\`), or set IGPG_FASHION_MNIST_DIR to a folder holding ` +
          `${FILES.train.join(', ')}, ${FILES.test.join(', ')} (the original files from github.com/zalandoresearch/fashion-mnist).`,
      );
    }
  }
  const images = readIdx(imgFile);
  const labels = readIdx(lblFile);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`fashion-mnist: unexpected shapes in ${dir}: images [${images.dims}], labels [${labels.dims}] (expected [N,28,28] and [N])`);
  }
  const src: ArraySource = { name: 'fashion-mnist', pixels: images.data, scale: 1 / 255, labels: labels.data, numClasses: 10, inputShape: [28, 28, 1] };
  cache.set(key, src);
  return src;
}

/**
 * Fashion-MNIST, full (60,000 train / 10,000 test, the official split), images (N, 28, 28, 1) in [0, 1].
 * @example const ds = fashionMnistDataset(); const { x, y } = await ds.load({ split: 'test', limit: 100 });
 */
export function fashionMnistDataset(options: { dir?: string } = {}): DatasetPlugin {
  return {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST (Zalando) clothing images, 28x28 grayscale, 60,000 train / 10,000 test',
    classes: FASHION_MNIST_CLASSES,
    inputShape: [28, 28, 1],
    async load(opts) {
      const dir = options.dir ?? process.env.IGPG_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
      const src = loadSplit(dir, opts.split);
      return materialize(src, allIndices(src.labels.length), opts);
    },
  };
}

const allIndices = (n: number) => Array.from({ length: n }, (_, i) => i);
