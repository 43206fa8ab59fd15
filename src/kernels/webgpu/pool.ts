/**
 * A pool of storage buffers by size class (four classes per power of two, so at most 25%
 * waste). Released buffers are kept for reuse up to a byte budget, then destroyed.
 *
 * Ordering rule: kernels may reuse a buffer released earlier in the same (unsubmitted) batch,
 * because commands run in order. A `queue.writeBuffer` upload may not: it runs before the
 * batch's commands, which might still read the buffer. Each pooled buffer therefore remembers
 * the batch epoch it was released in, and uploads only take buffers from earlier epochs.
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
    public maxPooledBytes = 512 * 1024 * 1024,
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
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
  }

  /** Destroys every pooled buffer; call right after a submit. */
  clear(): void {
    for (const list of this.free.values()) for (const p of list) p.buffer.destroy();
    this.free.clear();
    this.pooledBytes = 0;
    this.pooledBuffers = 0;
  }
}
