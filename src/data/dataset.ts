/**
 * Datasets and the DataLoader. A Dataset has a length and gives example i as a list of
 * tensors; TensorDataset slices tensors that share their first dim. The DataLoader batches
 * them (shuffled with a seed, optionally dropping the last short batch) and puts each batch on
 * the device: from host memory that is one upload each, which the GPU queue takes without
 * waiting (nothing is read back), so the next batch is ready while the GPU works.
 */
import type { DeviceName } from '../kernels/backend.js';
import { getDefaultDevice } from '../runtime.js';
import { tensor } from '../tensor/creation.js';
import type { TypedArray } from '../core/dtype.js';
import { fmtShape } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { stack } from '../tensor/ops/indexing.js';
import { hostValues } from '../tensor/ops/transfer.js';
import { defaultGenerator, randomBits } from '../core/random.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { DEVICE_NAMES } from '../core/device.js';

export interface Dataset {
  readonly length: number;
  /** Example i: one tensor per field (e.g. [image, label]). */
  get(i: number): Tensor[];
  /** Examples at `indices`, stacked along a new first dim (faster than get() one by one). */
  getBatch?(indices: Int32Array): Tensor[];
}

/** Tensors that share their first dim; example i is their i-th slices. */
export class TensorDataset implements Dataset {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: expected at least one tensor');
    const n = tensors[0]!.shape[0];
    for (const t of tensors) {
      if (!(t instanceof Tensor) || t.ndim === 0 || t.shape[0] !== n) {
        throw new Error(`TensorDataset: every tensor needs the same first dim; got ${tensors.map((x) => (x instanceof Tensor ? fmtShape(x.shape) : typeof x)).join(', ')}`);
      }
    }
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
  get(i: number): Tensor[] {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new Error(`TensorDataset: index ${i} is out of range for ${this.length} examples`);
    return this.tensors.map((t) => t.select(0, i));
  }
  getBatch(indices: Int32Array): Tensor[] {
    return noGrad(() => {
      return this.tensors.map((t) => {
        if (t.device === 'cpu') return hostGather(t, indices);
        const idx = tensor(indices, { device: t.device });
        const r = t.indexSelect(0, idx);
        idx.dispose();
        return r;
      });
    });
  }
}

/** Rows `indices` of a cpu tensor, gathered on the host (a cpu tensor, contiguous). */
function hostGather(t: Tensor, indices: Int32Array): Tensor {
  // A contiguous tensor's values are read in place (a dataset is large: no copy per batch).
  const src = t.isContiguous()
    ? (t.storage.handle as TypedArray).subarray(t.offset, t.offset + t.size)
    : hostValues(t);
  const row = t.size / t.shape[0]!;
  const out = new (src.constructor as { new (n: number): typeof src })(indices.length * row);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(src.subarray(i * row, (i + 1) * row), k * row);
  }
  return tensor(out, { shape: [indices.length, ...t.shape.slice(1)], dtype: t.dtype, device: 'cpu' });
}

export interface DataLoaderOptions {
  /** Examples per batch (default 1), a positive integer. */
  batchSize?: number;
  /**
   * Reshuffle the examples each epoch (default false). The order is drawn from webgrad's
   * global generator when the iteration starts, as PyTorch's is, so `manualSeed(s)` before
   * training makes two runs identical; or from `seed`.
   */
  shuffle?: boolean;
  /** A seed of the loader's own (shuffle only): epoch e uses seed + e, whatever the global generator does. */
  seed?: number;
  /** Leave out the last batch when it is short (default false). */
  dropLast?: boolean;
  /** Where batches go (default: the default device). */
  device?: DeviceName;
}

/** A small seeded PRNG (mulberry32) for shuffling on the host. */
function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOADER_KEYS = ['batchSize', 'shuffle', 'seed', 'dropLast', 'device'];

/** Iterate it once per epoch: `for (const [x, y] of loader) { ... }`. Each batch's tensors are yours to dispose. */
export class DataLoader implements Iterable<Tensor[]> {
  readonly batchSize: number;
  private epoch = 0;
  constructor(readonly dataset: Dataset, readonly options: DataLoaderOptions = {}) {
    const op = 'DataLoader';
    if (typeof dataset !== 'object' || dataset === null || typeof (dataset as Dataset).get !== 'function' || typeof (dataset as Dataset).length !== 'number') {
      throw new Error(`${op}: expected a Dataset (an object with length and get(i)), got ${describe(dataset)}`);
    }
    checkOptions(op, options, LOADER_KEYS);
    this.batchSize = options.batchSize === undefined ? 1 : checkNumber(op, 'batchSize', options.batchSize, { int: true, min: 1 });
    const shuffle = options.shuffle === undefined ? false : checkBoolean(op, 'shuffle', options.shuffle);
    if (options.dropLast !== undefined) checkBoolean(op, 'dropLast', options.dropLast);
    if (options.device !== undefined) checkChoice(op, 'device', options.device, DEVICE_NAMES);
    if (options.seed !== undefined) {
      checkNumber(op, 'seed', options.seed, { int: true });
      if (!shuffle) throw new Error(`${op}: seed only orders a shuffle; pass shuffle: true or leave seed out`);
    }
    if (dataset.length === 0) throw new Error(`${op}: the dataset is empty`);
  }
  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  /** The order of the examples for the next epoch. */
  private order(): Int32Array {
    const n = this.dataset.length;
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    if (this.options.shuffle) {
      const seed = this.options.seed !== undefined ? this.options.seed + this.epoch : randomBits(defaultGenerator.seed, defaultGenerator.take(1));
      const r = prng(seed);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
    }
    this.epoch++;
    return idx;
  }
  /** Starts an epoch: the order is drawn now (not at the first batch), as PyTorch's iter(loader). */
  [Symbol.iterator](): Iterator<Tensor[]> {
    return this.batches(this.order());
  }
  private *batches(order: Int32Array): Generator<Tensor[]> {
    const device = this.options.device ?? getDefaultDevice();
    for (let b = 0; b < this.length; b++) {
      const ids = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      const parts = this.dataset.getBatch ? this.dataset.getBatch(ids) : stackExamples(this.dataset, ids);
      yield parts.map((t) => {
        if (t.device === device) return t;
        const moved = toDeviceSync(t, device);
        t.dispose();
        return moved;
      });
    }
  }
}

function stackExamples(ds: Dataset, ids: Int32Array): Tensor[] {
  const examples = [...ids].map((i) => ds.get(i));
  return examples[0]!.map((_, f) => {
    const parts = examples.map((e) => e[f]!);
    const s = noGrad(() => (parts[0]!.device === 'cpu' ? hostStack(parts) : stack(parts, 0)));
    for (const p of parts) p.dispose();
    return s;
  });
}

function hostStack(parts: Tensor[]): Tensor {
  const arrays = parts.map((p) => hostValues(p));
  const row = arrays[0]!.length;
  const out = new (arrays[0]!.constructor as { new (n: number): (typeof arrays)[0] })(row * parts.length);
  arrays.forEach((a, k) => out.set(a, k * row));
  return tensor(out, { shape: [parts.length, ...parts[0]!.shape], dtype: parts[0]!.dtype, device: 'cpu' });
}

/** A cpu tensor on `device` without awaiting: the host values are uploaded (an enqueue on webgpu). */
function toDeviceSync(t: Tensor, device: DeviceName): Tensor {
  if (t.device !== 'cpu') throw new Error(`DataLoader: cannot move a batch from ${t.device} to ${device} synchronously; keep the dataset on the host or on ${device}`);
  const values = hostValues(t);
  return tensor(values, { shape: t.shape, dtype: t.dtype, device });
}
