/**
 * MNIST-format datasets (Fashion-MNIST, MNIST): the four IDX files, plain or gzipped.
 * Fashion-MNIST is looked for in the directory you name (only there), or else in
 * WEBGRAD_DATA_DIR and then where Debian's package `dataset-fashion-mnist` puts it
 * (/usr/share/datasets/fashion-mnist).
 */
import type { DeviceName } from '../kernels/backend.js';
import { idxToTensor, readIdx } from '../io/idx.js';
import { exists } from '../io/platform.js';
import { TensorDataset } from './dataset.js';
import { envVar } from '../core/env.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { DEVICE_NAMES } from '../core/device.js';

export interface MnistOptions {
  /** 'train' (60,000 images) or 'test' (10,000). */
  split?: 'train' | 'test';
  /** A directory holding the IDX files (searched first). */
  root?: string;
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** Where the tensors go (default: cpu; the DataLoader moves batches to its device). */
  device?: DeviceName;
}

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;


async function findFile(dirs: string[], base: string): Promise<string | undefined> {
  for (const d of dirs) {
    for (const f of [`${base}.gz`, base]) {
      const p = `${d.replace(/\/$/, '')}/${f}`;
      if (await exists(p)) return p;
    }
  }
  return undefined;
}

/**
 * Loads an MNIST-format split as a TensorDataset of images [N, 1, 28, 28] (float32 in [0, 1])
 * and labels [N] (int32).
 */
export async function loadMnistFormat(name: string, systemDirs: string[], options: MnistOptions, howToGet: string): Promise<TensorDataset> {
  checkOptions(name, options, ['split', 'root', 'limit', 'device']);
  const split = checkChoice(name, 'split', options.split ?? 'train', ['train', 'test']);
  if (options.root !== undefined && typeof options.root !== 'string') throw new Error(`${name}: root must be a directory path (a string), got ${describe(options.root)}`);
  if (options.device !== undefined) checkChoice(name, 'device', options.device, DEVICE_NAMES);
  const prefix = split === 'train' ? 'train' : 't10k';
  const env = envVar('WEBGRAD_DATA_DIR');
  // A directory you name is the only place looked in: falling back elsewhere would hide a typo.
  const dirs = options.root ? [options.root] : [...(env ? [env, `${env}/${name}`] : []), ...systemDirs];
  if (options.root && !(await exists(options.root))) throw new Error(`${name}: the directory '${options.root}' does not exist`);
  const imagesPath = await findFile(dirs, `${prefix}-images-idx3-ubyte`);
  const labelsPath = await findFile(dirs, `${prefix}-labels-idx1-ubyte`);
  if (!imagesPath || !labelsPath) {
    throw new Error(`${name}: no ${prefix}-images-idx3-ubyte[.gz] and ${prefix}-labels-idx1-ubyte[.gz] found in ${dirs.join(', ')}. ${howToGet}`);
  }
  if (options.limit !== undefined) checkNumber(name, 'limit', options.limit, { int: true, min: 1 });
  // With a limit, only that many images are decompressed (readIdx's limit).
  const [images, labels] = await Promise.all([readIdx(imagesPath, { limit: options.limit }), readIdx(labelsPath, { limit: options.limit })]);
  if (images.shape.length !== 3 || labels.shape.length !== 1 || images.shape[0] !== labels.shape[0]) {
    throw new Error(`${name}: ${imagesPath} has shape [${images.shape.join(', ')}] and ${labelsPath} [${labels.shape.join(', ')}]; expected [N, 28, 28] and [N]`);
  }
  const n = images.shape[0]!;
  const [h, w] = [images.shape[1]!, images.shape[2]!];
  const x = idxToTensor({ ...images, shape: [n, 1, h, w], data: images.data.subarray(0, n * h * w) }, { device: options.device ?? 'cpu' });
  const y = idxToTensor({ ...labels, shape: [n], data: labels.data.subarray(0, n) }, { device: options.device ?? 'cpu', scale: false });
  return new TensorDataset(x, y);
}

/** Fashion-MNIST (Zalando): 28x28 grey images of 10 kinds of clothing (FASHION_MNIST_CLASSES). */
export function fashionMnist(options: MnistOptions = {}): Promise<TensorDataset> {
  return loadMnistFormat(
    'fashionMnist',
    ['/usr/share/datasets/fashion-mnist'],
    options,
    'On Debian: apt-get install dataset-fashion-mnist. Elsewhere: download the four files from https://github.com/zalandoresearch/fashion-mnist (data/fashion) into a directory and pass it as `root` (or set WEBGRAD_DATA_DIR).',
  );
}

/** MNIST digits, from `root` or WEBGRAD_DATA_DIR (or /usr/share/datasets/mnist). */
export function mnist(options: MnistOptions = {}): Promise<TensorDataset> {
  return loadMnistFormat('mnist', ['/usr/share/datasets/mnist'], options, 'Download the four MNIST IDX files into a directory and pass it as `root` (or set WEBGRAD_DATA_DIR).');
}
