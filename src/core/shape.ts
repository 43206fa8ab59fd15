/** Shapes, strides and broadcasting: pure functions shared by every backend. */

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i]!;
  }
  return true;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** NumPy broadcasting of several shapes; throws naming `op` when they don't broadcast. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) {
        throw new Error(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
            `(dimension ${j} of the result: ${out[j]} vs ${d}; sizes must match or one must be 1)`,
        );
      }
    }
  }
  return out;
}

/** Normalizes a possibly negative axis, throwing a clear error when it is out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new Error(`${op}: dim must be an integer, got ${typeof axis === 'string' ? `'${axis}'` : Array.isArray(axis) ? `[${(axis as unknown[]).join(', ')}]` : String(axis)}`);
  const r = Math.max(rank, 1);
  if (axis < -r || axis >= r) {
    throw new Error(`${op}: dim ${axis} is out of range for a tensor of rank ${rank} (expected ${-r} to ${r - 1})`);
  }
  return axis < 0 ? axis + r : axis;
}

/** Normalizes `dim` (a number, an array, or undefined = all axes) into sorted unique axes. */
export function normAxes(op: string, dim: number | readonly number[] | undefined, rank: number): number[] {
  if (dim === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const axes = list.map((a) => normAxis(op, a, rank));
  if (new Set(axes).size !== axes.length) throw new Error(`${op}: dim ${fmtShape(list)} repeats an axis`);
  return axes.sort((a, b) => a - b);
}

/**
 * Merges adjacent dimensions that every strided operand walks contiguously, so that kernels
 * index as few dimensions as possible (a contiguous op becomes rank 1). Size-1 dims are dropped.
 */
export function coalesce(shape: Shape, stridesList: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    if (
      last >= 0 &&
      stridesList.every((s, k) => outStrides[k]![last] === s[i]! * d)
    ) {
      outShape[last] = outShape[last]! * d;
      stridesList.forEach((s, k) => (outStrides[k]![last] = s[i]!));
    } else {
      outShape.push(d);
      stridesList.forEach((s, k) => outStrides[k]!.push(s[i]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Strides of `shape` viewed through broadcasting to `target` (0 where broadcast). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}
