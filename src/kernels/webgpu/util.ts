/**
 * Small helpers shared by the WebGPU backend and its kernel-family modules (nn_*.ts).
 */
import type { View } from '../backend.js';
import type { DType } from '../../core/dtype.js';
import mathF32 from '../../../shaders/lib/math_f32.wgsl';
import mathI32 from '../../../shaders/lib/math_i32.wgsl';
import stridedSrc from '../../../shaders/lib/strided.wgsl';

/**
 * Most dims a strided kernel takes, once the host has coalesced a view's dims: the one rank
 * limit of every shader that walks strides (shaders/lib/strided.wgsl, where shape and strides
 * are Dims uniforms of MAX_RANK / 4 vec4s). A multiple of 4.
 */
export const MAX_RANK = 8;

/** shaders/lib/strided.wgsl with its MAX_RANK: the `lib` of every kernel source that walks strides. */
export const STRIDED_LIB = `const MAX_RANK: u32 = ${MAX_RANK}u;\n${stridedSrc}`;

/** WGSL storage type of a dtype (bool is one u32 per element). */
export function wgslType(d: DType): 'f32' | 'i32' | 'u32' {
  switch (d) {
    case 'float32': return 'f32';
    case 'int32': return 'i32';
    case 'bool': return 'u32';
    // Kernels never see float16: src/kernels/half.ts hands them float32 copies.
    case 'float16': throw new Error('webgpu: a float16 view reached a float32 kernel unwidened (src/kernels/half.ts widens them); this is a bug');
    case 'float64': throw new Error('webgpu: float64 is not supported on webgpu (use float32, or the cpu backend)');
    case 'int8':
    case 'uint8': throw new Error(`webgpu: ${d} is not supported on webgpu (WGSL has no 8-bit storage type; cast to int32 or float32 first, on cpu)`);
  }
}

export function mathLib(c: string): string {
  return c === 'f32' ? mathF32 : c === 'i32' ? mathI32 : '';
}

/** Pads a list to `n` entries (uniform arrays have fixed length). */
export function pad(list: readonly number[], n = MAX_RANK): number[] {
  return [...list, ...new Array<number>(Math.max(0, n - list.length)).fill(0)];
}

/** The GPUBuffer behind a view; a released storage (its buffer back in the pool, maybe reused) is refused. */
export const buf = (v: View): GPUBuffer => {
  // A tensor made before its device was lost (and webgrad re-initialised on a new one).
  const lost = (v.storage.backend as { lost?: string }).lost;
  if (lost) throw lostError(lost, 'a kernel given a tensor made on that device');
  if (v.storage.released) {
    throw new Error(`webgpu: a kernel was given a tensor of shape [${v.shape.join(', ')}] whose buffer was already freed (disposed, or released by a tidy scope); its memory may belong to another tensor now`);
  }
  return v.storage.handle as GPUBuffer;
};

/** The error every use of a lost device gets: what happened and the two ways on. */
export function lostError(reason: string, context: string): Error {
  return new Error(
    `webgpu: the WebGPU device was lost (${reason}; seen by ${context}); the tensors on it are gone. ` +
      `Call \`await webgrad.init({ backend: 'webgpu' })\` for a new device and reload your last checkpoint ` +
      `(io.loadSafetensors), or continue on the cpu backend`,
  );
}

/** Codes the kernels write into the error-flag buffer, and what they mean. */
export const KERNEL_ERRORS: Record<number, (a: number, b: number) => string> = {
  1: (index, size) => `gather/indexSelect: index ${index | 0} is out of range for a dimension of size ${size} (expected 0 to ${size - 1}); detected on webgpu by an earlier op, reported at this read`,
  2: (index, size) => `scatterAdd: index ${index | 0} is out of range for a dimension of size ${size} (expected 0 to ${size - 1}); detected on webgpu by an earlier op, reported at this read`,
};


/**
 * Writes out a shader template's `//@unroll` blocks: the lines between `//@unroll q<RM4 l<4`
 * and `//@end` are repeated for every value of the counters (the first slowest; a bound is a
 * number or a name in `bounds`), with `{q}` replaced by the counter's value. Blocks do not
 * nest. For kernels whose registers are named variables (shaders/matmul_blocked.wgsl says why).
 */
export function unrollTemplate(source: string, bounds: Record<string, number>, file = 'shader'): string {
  const lines = source.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^\s*\/\/@unroll\s+(.+)$/.exec(lines[i]!);
    if (!head) {
      if (/^\s*\/\/@end\b/.test(lines[i]!)) throw new Error(`${file}: line ${i + 1}: //@end without //@unroll`);
      out.push(lines[i]!);
      continue;
    }
    const counters = head[1]!.trim().split(/\s+/).map((c) => {
      const m = /^([a-z]\w*)<(\w+)$/.exec(c);
      if (!m) throw new Error(`${file}: line ${i + 1}: an unroll counter is name<bound, got '${c}'`);
      const bound = /^\d+$/.test(m[2]!) ? Number(m[2]) : bounds[m[2]!];
      if (bound === undefined || !Number.isInteger(bound) || bound < 1) throw new Error(`${file}: line ${i + 1}: unroll bound '${m[2]}' is not a positive integer (bounds: ${Object.keys(bounds).join(', ')})`);
      return { name: m[1]!, bound };
    });
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*\/\/@end\b/.test(lines[i]!); i++) {
      if (/^\s*\/\/@unroll\b/.test(lines[i]!)) throw new Error(`${file}: line ${i + 1}: //@unroll blocks do not nest`);
      body.push(lines[i]!);
    }
    if (i >= lines.length) throw new Error(`${file}: an //@unroll block has no //@end`);
    const values = counters.map(() => 0);
    for (;;) {
      for (const line of body) out.push(line.replace(/\{([a-z]\w*)\}/g, (all, n: string) => {
        const j = counters.findIndex((c) => c.name === n);
        return j < 0 ? all : String(values[j]);
      }));
      let d = counters.length - 1;
      while (d >= 0 && ++values[d]! === counters[d]!.bound) values[d--] = 0;
      if (d < 0) break;
    }
  }
  return out.join('\n');
}
