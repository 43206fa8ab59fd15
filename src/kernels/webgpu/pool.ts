/**
 * A pool of storage buffers by size class (four classes per power of two, so at most 25%
 * waste). Released buffers are kept for reuse up to a byte budget, then destroyed.
 *
 * Ordering rule: kernels may reuse a buffer released earlier in the same (unsubmitted) batch,
 * because commands run in order. A `queue.writeBuffer` upload may not: it runs before the
 * batch's commands, which might still read the buffer. Each pooled buffer therefore remembers
 * the batch epoch it was released in, and uploads only take buffers from earlier epochs.
 *
 * The pool shrinks by itself: a buffer not reused within `maxAgeSubmits` submits is destroyed
 * (a training loop reuses its sizes every step, so only sizes that stopped being used go), and
 * nothing is pooled beyond `maxPooledBytes`. `trim()` empties it (memory({ trim: true })).
 */

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 256) return Math.ceil(b / 16) * 16;
  const p = 2 ** Math.floor(Math.log2(b));
  const quarter = p / 4;
  return Math.ceil(b / quarter) * quarter;
}

interface Pooled {
  buffer: GPUBuffer;
  epoch: number;
}

export class BufferPool {
  private free = new Map<number, Pooled[]>();
  pooledBytes = 0;
  pooledBuffers = 0;
  /** Counts submits (see afterSubmit). */
  epoch = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    /** Most bytes kept in the pool; beyond it released buffers are destroyed. */
    public maxPooledBytes = 256 * 1024 * 1024,
    /** Submits a pooled buffer may wait for reuse before it is destroyed. */
    public maxAgeSubmits = 256,
    /** Called just before a buffer is destroyed (the bind-group cache forgets it). */
    private readonly onDestroy: (b: GPUBuffer) => void = () => {},
  ) {}

  acquire(bytes: number, forUpload: boolean): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    if (list && list.length > 0) {
      const i = forUpload ? list.findIndex((p) => p.epoch < this.epoch) : list.length - 1;
      if (i >= 0) {
        const [p] = list.splice(i, 1);
        this.pooledBytes -= size;
        this.pooledBuffers--;
        return p!.buffer;
      }
    }
    return this.device.createBuffer({ size, usage: this.usage });
  }

  /** Over-budget buffers, destroyed after the next submit (unsubmitted commands may use them). */
  private doomed: GPUBuffer[] = [];

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    if (this.pooledBytes + size > this.maxPooledBytes) {
      this.doomed.push(buffer);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push({ buffer, epoch: this.epoch });
    this.pooledBytes += size;
    this.pooledBuffers++;
  }

  /** Called by the backend right after each submit. */
  afterSubmit(): void {
    this.epoch++;
    for (const b of this.doomed) {
      this.onDestroy(b);
      b.destroy();
    }
    this.doomed = [];
    if (this.epoch % 16 === 0) this.evictOlderThan(this.epoch - this.maxAgeSubmits);
  }

  /** Destroys pooled buffers released before `epoch` (all of them for Infinity); call right after a submit. */
  private evictOlderThan(epoch: number): number {
    let freed = 0;
    for (const [size, list] of this.free) {
      const keepList = list.filter((p) => p.epoch >= epoch);
      for (const p of list) {
        if (p.epoch < epoch) {
          this.onDestroy(p.buffer);
          p.buffer.destroy();
        }
      }
      const gone = list.length - keepList.length;
      freed += gone * size;
      this.pooledBytes -= gone * size;
      this.pooledBuffers -= gone;
      if (keepList.length) this.free.set(size, keepList);
      else this.free.delete(size);
    }
    return freed;
  }

  /** Destroys every pooled buffer and returns the bytes freed; call right after a submit. */
  trim(): number {
    return this.evictOlderThan(Infinity);
  }

  /** Destroys every pooled buffer; call right after a submit. */
  clear(): void {
    this.trim();
  }
}
