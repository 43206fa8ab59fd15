/**
 * The matmul binder: one dispatch per K slab and per 65535 batches, of one of two kernels.
 *
 * Variants: `plan` picks a named layout (kernels/variants.ts: configureKernels({ matmul })
 * forces one, the autotuner measures them):
 * - tile64x64, tile32x32: shaders/matmul.wgsl, a workgroup stages slabs of both operands in
 *   workgroup memory and each invocation owns a 4 x 4 register block; the tile sizes reach the
 *   shader as `override` constants.
 * - block16x16, block8x16, block8x8: shaders/matmul_blocked.wgsl, each invocation owns a
 *   larger block (rows x columns) and reads K straight from global memory, with vec4 loads
 *   along whichever operand is contiguous in the block's direction (a's rows when a is a
 *   transposed view, b's columns when b is row-major). The block is written out by
 *   unrollTemplate (named registers: see the shader), so each block size and load layout is
 *   its own pipeline. The kernels for CPU adapters (llvmpipe: about 4x the tiled kernel at
 *   1024, docs/benchmarks.md).
 */
import type { View } from '../../core/view.js';
import { coalesce, fmtShape, isContiguous, numel } from '../../core/shape.js';
import type { WebGPUContext } from '../webgpu/context.js';
import type { KernelSource, KernelSpec } from '../webgpu/pipelines.js';
import { MAX_RANK, STRIDED_LIB, buf, pad, unrollTemplate, wgslType, mathLib } from '../webgpu/util.js';
import { isCpuAdapter } from '../webgpu/device.js';
import { forcedVariant, noteVariant, type VariantName } from '../variants.js';
import { matmulClass, tunedVariant } from '../tuning.js';
import { operandHead, operandKind, operandLines, type OperandKind } from '../webgpu/halfLoads.js';
import { halfOperands } from '../half.js';
import type { MatmulKernels } from './types.js';
import { actFn, lastBias } from '../webgpu/bias.js';
import type { FusedAct } from '../ops.js';
import matmulSrc from '../../../shaders/matmul.wgsl';
import blockedSrc from '../../../shaders/matmul_blocked.wgsl';
import matmulIoSrc from '../../../shaders/lib/matmul_io.wgsl';

/** The libraries of both kernels: the strided walk, then their shared Params, bindings and stores. */
const MATMUL_LIB = `${STRIDED_LIB}\n${matmulIoSrc}`;

/** This family's shaders, by name. */
export const SHADERS = {
  matmul: { file: 'matmul.wgsl', source: matmulSrc, lib: MATMUL_LIB },
  /** A template: the binder dispatches it unrolled per block (blockedSource). */
  matmulBlocked: { file: 'matmul_blocked.wgsl', source: blockedSrc, lib: MATMUL_LIB },
} as const satisfies Record<string, KernelSource>;

/**
 * Mesa's llvmpipe silently ends an invocation's loops once they have run 65535 iterations in
 * all: a matmul's K is walked in slabs of this many terms (K / TILE_K steps each, with a few
 * inner loops if they are not unrolled), one dispatch each, accumulated into out.
 */
export const MATMUL_K_SLAB = 2048;

/**
 * @internal Split K (see matmul): taken when the output has fewer than minBlocks register
 * blocks (4 x 4 ones for the tiled kernels), in chunks of at least minChunk terms, with partial
 * sums of at most maxBytes. Mutable for tests.
 */
/** The blocked kernels' four-k loads (K4) where both operands are contiguous along K; false: off (tests). @internal */
export const K4_LOADS = { enabled: true };

export const SPLIT_K = { minBlocks: 128, minChunk: 256, maxBytes: 16 * 2 ** 20 };

/** A named layout: a tiling of matmul.wgsl, or a block of matmul_blocked.wgsl. */
export type MatmulPlan =
  | {
      name: VariantName<'matmul'>;
      kind: 'tiled';
      /** Rows and columns of out per workgroup (square tiles: the slab staging shares one index). */
      tile: number;
      tileK: number;
    }
  | {
      name: VariantName<'matmul'>;
      kind: 'blocked';
      /** Rows and columns of out per invocation (multiples of 4). */
      rows: number;
      cols: number;
      /** The workgroup: wx x wy invocations. */
      wx: number;
      wy: number;
    };

const PLANS: Record<VariantName<'matmul'>, MatmulPlan> = {
  tile64x64: { name: 'tile64x64', kind: 'tiled', tile: 64, tileK: 32 },
  tile32x32: { name: 'tile32x32', kind: 'tiled', tile: 32, tileK: 32 },
  block16x16: { name: 'block16x16', kind: 'blocked', rows: 16, cols: 16, wx: 8, wy: 4 },
  block8x16: { name: 'block8x16', kind: 'blocked', rows: 8, cols: 16, wx: 8, wy: 4 },
  block8x8: { name: 'block8x8', kind: 'blocked', rows: 8, cols: 8, wx: 8, wy: 8 },
};

/** How matmul_blocked.wgsl loads each operand: one vec4, or four strided elements. */
interface Loads {
  aVec: boolean;
  bVec: boolean;
  /** Both operands contiguous along K, 4-aligned, K a multiple of 4: four k per step (K4). */
  kVec: boolean;
}

const blockedSources = new Map<string, KernelSource>();

/** matmul_blocked.wgsl written out for one block (cached: the expansion runs once per block). */
function blockedSource(rows: number, cols: number, loop: 'k4' | 'implicit' | 'implicitW' | 'plain', kinds: readonly [OperandKind, OperandKind] = ['plain', 'plain']): KernelSource {
  const key = `${rows}x${cols}|${loop}|${kinds.join(',')}`;
  let s = blockedSources.get(key);
  if (!s) {
    const src = SHADERS.matmulBlocked;
    // One of the four K loops (`//@if K4` / `//@elif IMPLICIT` / `//@elif IMPLICIT_W` / `//@else` /
    // `//@endif`): an unrolled loop left out is not compiled at all (a 16 x 16 block's loop is
    // hundreds of lines).
    const chosen = src.source.replace(
      /^[ \t]*\/\/@if K4\n([\s\S]*?)^[ \t]*\/\/@elif IMPLICIT\n([\s\S]*?)^[ \t]*\/\/@elif IMPLICIT_W\n([\s\S]*?)^[ \t]*\/\/@else\n([\s\S]*?)^[ \t]*\/\/@endif\n/m,
      (_m, k4: string, implicit: string, implicitW: string, plain: string) => ({ k4, implicit, implicitW, plain })[loop],
    );
    if (chosen === src.source) throw new Error(`${src.file}: no //@if K4 ... //@elif IMPLICIT ... //@elif IMPLICIT_W ... //@else ... //@endif block`);
    // The store: the implicit product's own (`//@if IMPLICIT` / `//@else` / `//@endif`).
    const stored = chosen.replace(
      /^[ \t]*\/\/@if IMPLICIT\n([\s\S]*?)^[ \t]*\/\/@else\n([\s\S]*?)^[ \t]*\/\/@endif\n/m,
      (_m, implicit: string, plain: string) => (loop === 'implicit' ? implicit : plain),
    );
    if (stored === chosen) throw new Error(`${src.file}: no //@if IMPLICIT ... //@else ... //@endif store block`);
    s = { file: src.file, source: inlineLoads(unrollTemplate(stored, { RM4: rows / 4, RN4: cols / 4 }, src.file), kinds), lib: src.lib };
    blockedSources.set(key, s);
  }
  return s;
}

/**
 * load_a(i) / load_b(i) of a plain (float32 or int32) operand written back as a[i] / b[i]:
 * llvmpipe ran the convolutions' and products' kernels several times slower through a loader
 * function per element than with the indexing itself (conv.test.ts: 26 s against 349 s).
 */
function inlineLoads(code: string, kinds: readonly [OperandKind, OperandKind]): string {
  let out = code;
  for (const [name, kind] of [['a', kinds[0]], ['b', kinds[1]]] as const) {
    if (kind === 'plain') out = out.replace(new RegExp(`\\bload_${name}\\(((?:[^()]|\\([^()]*\\))*)\\)`, 'g'), `${name}[$1]`);
  }
  return out;
}

const tiledSources = new Map<string, KernelSource>();
/** matmul.wgsl with plain operands' loads inlined (see inlineLoads). */
function tiledSource(kinds: readonly [OperandKind, OperandKind]): KernelSource {
  const key = kinds.join(',');
  let s = tiledSources.get(key);
  if (!s) tiledSources.set(key, (s = { ...SHADERS.matmul, source: inlineLoads(SHADERS.matmul.source, kinds) }));
  return s;
}

/**
 * The blocked kernel's epilogue (fn epi(c, v), applied to each row of four outputs before the
 * store): the identity, or with a bias (offset and stride in elements) the bias of columns
 * c..c+3 added, clamped as the loads are; its binding is 6.
 */
function epilogue(bias?: readonly [number, number], act?: FusedAct | null): string[] {
  if (!bias) return ['fn epi(c: u32, v: vec4<C>) -> vec4<C> { return v; }'];
  const at = (k: string) => `bias[${bias[0]}u + min(c${k}, p.N - 1u) * ${bias[1]}u]`;
  const sum = `v + vec4<C>(${at('')}, ${at(' + 1u')}, ${at(' + 2u')}, ${at(' + 3u')})`;
  return [
    '@group(0) @binding(6) var<storage, read> bias: array<C>;',
    ...(act ? [mathLib('f32'), actFn(act)] : []),
    act
      ? `fn epi(c: u32, v: vec4<C>) -> vec4<C> { let w = ${sum}; return vec4<C>(act(w.x), act(w.y), act(w.z), act(w.w)); }`
      : `fn epi(c: u32, v: vec4<C>) -> vec4<C> { return ${sum}; }`,
  ];
}

function blockedPreamble(c: string, rows: number, cols: number, loads: Loads, bias?: readonly [number, number], act?: FusedAct | null, kinds: readonly [OperandKind, OperandKind] = ['plain', 'plain']): string {
  const lines = [...operandHead(...kinds), `alias C = ${c};`, ...operandLines('CA', 'a', kinds[0]), ...operandLines('CB', 'b', kinds[1]), `const RM4 = ${rows / 4}u;`, `const RN4 = ${cols / 4}u;`, ...epilogue(bias, act)];
  if (loads.kVec) {
    lines.push('fn load_ak4(base: u32, r: u32, k: u32) -> vec4<C> { return a4[(base + r * p.a_row + k) / 4u]; }');
    lines.push('fn load_bk4(base: u32, k: u32, c: u32) -> vec4<C> { return b4[(base + c * p.b_col + k) / 4u]; }');
  }
  if (loads.aVec || loads.kVec) lines.push('@group(0) @binding(4) var<storage, read> a4: array<vec4<C>>;');
  if (loads.bVec || loads.kVec) lines.push('@group(0) @binding(5) var<storage, read> b4: array<vec4<C>>;');
  if (loads.aVec) {
    lines.push('fn load_a4(base: u32, r: u32, k: u32) -> vec4<C> { return a4[(base + k * p.a_col + r) / 4u]; }');
  } else {
    lines.push('fn load_a4(base: u32, r: u32, k: u32) -> vec4<C> {');
    lines.push('  let o = base + k * p.a_col;');
    lines.push('  let m = p.M - 1u;');
    lines.push('  return vec4<C>(load_a(o + r * p.a_row), load_a(o + min(r + 1u, m) * p.a_row), load_a(o + min(r + 2u, m) * p.a_row), load_a(o + min(r + 3u, m) * p.a_row));');
    lines.push('}');
  }
  if (loads.bVec) {
    lines.push('fn load_b4(base: u32, k: u32, c: u32) -> vec4<C> { return b4[(base + k * p.b_row + c) / 4u]; }');
  } else {
    lines.push('fn load_b4(base: u32, k: u32, c: u32) -> vec4<C> {');
    lines.push('  let o = base + k * p.b_row;');
    lines.push('  let n = p.N - 1u;');
    lines.push('  return vec4<C>(load_b(o + c * p.b_col), load_b(o + min(c + 1u, n) * p.b_col), load_b(o + min(c + 2u, n) * p.b_col), load_b(o + min(c + 3u, n) * p.b_col));');
    lines.push('}');
  }
  return `${inlineLoads(lines.join('\n'), kinds)}\n`;
}

/** Every entry a multiple of 4 (offsets and strides of a vector load). */
const aligned = (...xs: readonly number[]): boolean => xs.every((x) => x % 4 === 0);

/**
 * The tiling for an M x N output (K terms, `batches` products): a forced variant, else the
 * autotuner's choice for the shape class (kernels/tuning.ts), else 64 x 64 tiles (256
 * invocations each) unless the output is small enough that they would leave most of a tile idle.
 */
export function plan(b: WebGPUContext, M: number, N: number, K: number, batches: number): MatmulPlan {
  const forced = forcedVariant('matmul') ?? tunedVariant(b.adapter, 'matmul', matmulClass(M, N, K, batches), () => ({ m: M, n: N, k: K, batch: batches }));
  if (forced) return PLANS[forced];
  // On a CPU adapter: 8 x 8 blocks for an output under 16 on a side (a conv's weight gradient,
  // [Cout, Cin * 9]), 8 x 16 where M is 32 or less (twice the blocks of 16 x 16: a conv's
  // forward over few channels, a small batch's Linear), else 16 x 16 where all the products
  // together have a few dozen blocks to share out. (Measured on llvmpipe, interleaved runs:
  // [64] 16x9x784 8.4 ms with 8 x 16 against 12.2 with 16 x 16; [64] 16x784x9 11.8 with 8 x 8
  // against 17.0; [64] 64x196x288 56 with 16 x 16 against 62.)
  if (isCpuAdapter(b.adapter)) {
    if (Math.min(M, N) < 16) return PLANS.block8x8;
    if (M <= 32) return PLANS.block8x16;
    return batches * M * N >= 4096 ? PLANS.block16x16 : PLANS.block8x8;
  }
  return M <= 32 || N <= 32 ? PLANS.tile32x32 : PLANS.tile64x64;
}

/**
 * The plan of a convolution's implicit product (matmulImplicitColumns): a forced or tuned
 * choice as for matmul; else on a CPU adapter 16 x 16 blocks wherever M and P (the columns:
 * pixels, or a weight gradient's taps) are 16 or more, since the images side by side give
 * blocks enough to share out. (Measured on llvmpipe, interleaved
 * in one process, min of 6 medians, padded 3 x 3: 8x16x28x28 -> 32 5.75 ms with 16 x 16
 * against 7.19 with 8 x 16; 64x32x14x14 -> 64 26.3 against 38.4; 64x1x28x28 -> 32 6.6 against
 * 7.5; 4x64x7x7 -> 128 3.0 against 4.1; 64x64x14x14 -> 32 39.5 against 35.0, median 41.7
 * against 50.2.)
 */
export function implicitPlan(b: WebGPUContext, M: number, P: number, K: number, images: number): MatmulPlan {
  const forced = forcedVariant('matmul') ?? tunedVariant(b.adapter, 'matmul', matmulClass(M, P, K, images), () => ({ m: M, n: P, k: K, batch: images }));
  if (forced) return PLANS[forced];
  if (isCpuAdapter(b.adapter) && Math.min(M, P) >= 16) return PLANS.block16x16;
  return plan(b, M, P, K, images);
}

export function matmul(b: WebGPUContext, a: View, bm: View, out: View, bias?: View | null, act?: FusedAct | null): void {
  if (act && !bias) throw new Error(`webgpu matmul: a fused activation (${act}) needs a bias`);
  // out: contiguous, at any offset (conv2d's im2col layout writes a batch of images at a time into y).
  if (!isContiguous(out.shape, out.strides)) throw new Error(`webgpu matmul: the output must be contiguous (got strides ${fmtShape(out.strides)})`);
  const r = out.shape.length;
  const M = out.shape[r - 2]!;
  const N = out.shape[r - 1]!;
  const K = a.shape[r - 1]!;
  const batchShape = out.shape.slice(0, r - 2);
  const batches = numel(batchShape);
  if (M === 0 || N === 0 || batches === 0) return;
  const cb = coalesce(batchShape, [a.strides.slice(0, r - 2), bm.strides.slice(0, r - 2), out.strides.slice(0, r - 2)]);
  if (cb.shape.length > MAX_RANK) throw new Error(`webgpu matmul: more than ${MAX_RANK} non-mergeable batch dims (${fmtShape(batchShape)})`);
  const c = wgslType(out.dtype);
  // float16 operands are read in place (halfLoads.ts); out is float32 (half.ts rounds it after).
  const kinds = [operandKind(b.adapter, a), operandKind(b.adapter, bm)] as const;
  const halfIn = kinds[0] !== 'plain' || kinds[1] !== 'plain';
  const pl = plan(b, M, N, K, batches);
  noteVariant('matmul', pl.name);
  // Split K: a small output over a long K (a convolution's weight gradient: 16 x 9 outputs over
  // 50k terms) would leave all but a few invocations idle. Its K range is cut into chunks that
  // run side by side, as an extra batch dim, into partial sums (a ragged tail is added into the
  // first), which a reduction adds up.
  const blocks = pl.kind === 'blocked' ? Math.ceil(M / pl.rows) * Math.ceil(N / pl.cols) * batches : Math.ceil(M / 4) * Math.ceil(N / 4) * batches;
  const splits = out.offset !== 0 || cb.shape.length >= MAX_RANK || blocks >= SPLIT_K.minBlocks ? 1
    : Math.min(Math.ceil(SPLIT_K.minBlocks / blocks), Math.floor(K / SPLIT_K.minChunk), Math.floor(SPLIT_K.maxBytes / (4 * batches * M * N)));
  // A bias (along N) goes into the blocked kernel's store where one dispatch per batch range
  // writes the whole sum (no K slabs, no split K); otherwise one pass in place after.
  const fuseBias = !!bias && pl.kind === 'blocked' && splits < 2 && K <= MATMUL_K_SLAB;
  const biasAt = fuseBias ? ([bias!.offset, bias!.strides[0]!] as const) : undefined;
  const maxPerDim = b.device.limits.maxComputeWorkgroupsPerDimension;
  const [aRow, aCol, bRow, bCol] = [a.strides[r - 2]!, a.strides[r - 1]!, bm.strides[r - 2]!, bm.strides[r - 1]!];
  let spec: KernelSpec;
  const resources: Record<string, GPUBuffer> = { a: buf(a), b: buf(bm), out: buf(out) };
  let grid: [number, number];
  if (pl.kind === 'tiled') {
    const head = [...operandHead(...kinds), `alias C = ${c};`, ...operandLines('CA', 'a', kinds[0]), ...operandLines('CB', 'b', kinds[1])].join('\n');
    spec = { shader: tiledSource(kinds), entry: 'main', variant: `${c}|${kinds.join('|')}`, preamble: `${head}\n`, constants: { TILE: pl.tile, TILE_K: pl.tileK, LANES: pl.tile / 4 } };
    grid = [Math.ceil(N / pl.tile), Math.ceil(M / pl.tile)];
  } else {
    // A vector load needs the vec4 to be whole and aligned at every k (and every batch, slab);
    // float16 operands load element by element.
    const loads: Loads = halfIn ? { aVec: false, bVec: false, kVec: false } : {
      aVec: aRow === 1 && M % 4 === 0 && aligned(a.offset, aCol, ...cb.strides[0]!),
      bVec: bCol === 1 && N % 4 === 0 && aligned(bm.offset, bRow, ...cb.strides[1]!),
      kVec: K4_LOADS.enabled && aCol === 1 && bRow === 1 && K % 4 === 0 && aligned(a.offset, aRow, bm.offset, bCol, ...cb.strides[0]!, ...cb.strides[1]!),
    };
    const { rows, cols } = pl;
    // A product smaller than one workgroup's blocks (a conv's weight gradient per image, 16 x 9)
    // gets a workgroup of just its blocks: idle invocations still run as masked SIMD lanes on a
    // CPU adapter (64 lanes for 4 blocks: 10.6 ms for [64] 16x784x9 on llvmpipe).
    const wx = Math.min(pl.wx, Math.ceil(N / cols));
    const wy = Math.min(pl.wy, Math.ceil(M / rows));
    spec = {
      shader: blockedSource(rows, cols, loads.kVec ? 'k4' : 'plain', kinds), entry: 'main',
      variant: `${c}|${rows}x${cols}|${loads.aVec ? 'a4' : 'a'}|${loads.bVec ? 'b4' : 'b'}${loads.kVec ? '|k4' : ''}${biasAt ? `|bias${biasAt.join(',')}${act ? `|${act}` : ''}` : ''}${halfIn ? `|${kinds.join('|')}` : ''}`,
      preamble: () => blockedPreamble(c, rows, cols, loads, biasAt, act, kinds), constants: { WX: wx, WY: wy },
    };
    if (loads.aVec || loads.kVec) resources.a4 = resources.a!;
    if (loads.bVec || loads.kVec) resources.b4 = resources.b!;
    if (biasAt) resources.bias = buf(bias!);
    grid = [Math.ceil(N / (cols * wx)), Math.ceil(M / (rows * wy))];
  }
  /** Dispatches the product of K range [k0, k0 + kLen) into `target` from outOffset, over the batch dims given. */
  const pass = (k0: number, kLen: number, accumulate: boolean, target: GPUBuffer, outOffset: number, shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[]) => {
    const zTotal = numel(shape);
    // K in slabs of MATMUL_K_SLAB (see there), each added into out; K = 0 still writes zeros.
    for (let s0 = 0; s0 === 0 || s0 < kLen; s0 += MATMUL_K_SLAB) {
      for (let z0 = 0; z0 < zTotal; z0 += maxPerDim) {
        b.dispatch(
          spec,
          { ...resources, out: target },
          {
            M, N, K: Math.min(MATMUL_K_SLAB, kLen - s0), batch_rank: shape.length, z_base: z0, accumulate: accumulate || s0 > 0 ? 1 : 0,
            a_offset: a.offset + (k0 + s0) * aCol, b_offset: bm.offset + (k0 + s0) * bRow,
            a_row: aRow, a_col: aCol, b_row: bRow, b_col: bCol, out_offset: outOffset,
            batch_shape: pad(shape), a_batch_strides: pad(aStrides), b_batch_strides: pad(bStrides),
          },
          [grid[0], grid[1], Math.min(maxPerDim, zTotal - z0)],
        );
      }
    }
  };
  if (splits < 2) {
    pass(0, K, false, resources.out!, out.offset, cb.shape, cb.strides[0]!, cb.strides[1]!);
    if (bias && !fuseBias) lastBias(b, out, bias, act);
    return;
  }
  // Chunks a multiple of 4 (the vector loads' alignment), one slab at most.
  const chunk = Math.min(MATMUL_K_SLAB, Math.ceil(K / splits / 4) * 4);
  const whole = Math.floor(K / chunk);
  const size = batches * M * N;
  const part = b.allocate(out.dtype, whole * size);
  const target = part.handle as GPUBuffer;
  pass(0, chunk, false, target, 0, [whole, ...cb.shape], [chunk * aCol, ...cb.strides[0]!], [chunk * bRow, ...cb.strides[1]!]);
  if (whole * chunk < K) pass(whole * chunk, K - whole * chunk, true, target, 0, cb.shape, cb.strides[0]!, cb.strides[1]!);
  b.reduce.reduce('sum', { storage: part, dtype: out.dtype, shape: [size, whole], strides: [1, size], offset: 0 }, 1, { storage: out.storage, dtype: out.dtype, shape: [size], strides: [1], offset: 0 });
  part.free();
  if (bias) lastBias(b, out, bias, act);
}

/** The family's table on a webgpu backend. */
export function webgpuKernels(b: WebGPUContext): MatmulKernels {
  // a and b may be float16 views: read in place (halfLoads.ts), not widened by half.ts first;
  // out is written whole (its float32 temporary needs no widening).
  return { matmul: halfOperands((a, bm, out, bias, act) => matmul(b, a, bm, out, bias, act), [0, 1], [2]) };
}

/**
 * The columns of a convolution's forward product, read from its input where they lie (implicit
 * im2col): b[k, q] of image z is x[z, ci, oh * sh + kh * dh, ow * sw + kw * dw] with
 * k = (ci, kh, kw) and q = (oh, ow), all in x's element strides from its offset (a padded copy
 * of x where the convolution pads, so no tap falls outside). See matmulImplicitColumns.
 */
export interface ImplicitColumns {
  /** Images (the product's batch), and x's element stride between them. */
  images: number;
  imageStride: number;
  /** Channel, row and column strides of x, in elements. */
  xc: number;
  xh: number;
  xw: number;
  KH: number;
  KW: number;
  OW: number;
  stride: readonly [number, number];
  dilation: readonly [number, number];
  /** A bias per row (output channel) that the store adds (a float32 view of M values), or none. */
  bias?: View | null;
  /** An activation the store applies after the bias. */
  act?: FusedAct | null;
}

/**
 * The tap geometry both implicit products bake into their preambles: the values (part of the
 * variant key) and the WGSL constants CV_KHW, CV_KW, CV_OW, CV_XC, CV_TH, CV_TW, CV_QH, CV_QW
 * with fn tap_offset(k): term k = (channel, kh, kw)'s offset in x from its pixel's.
 */
function convTaps(g: ImplicitColumns): { geo: number[]; lines: string[] } {
  const geo = [g.KH * g.KW, g.KW, g.OW, g.xc, g.dilation[0] * g.xh, g.dilation[1] * g.xw, g.stride[0] * g.xh, g.stride[1] * g.xw];
  return {
    geo,
    lines: [
      `const CV_KHW = ${geo[0]}u; const CV_KW = ${geo[1]}u; const CV_OW = ${geo[2]}u; const CV_XC = ${geo[3]}u;`,
      `const CV_TH = ${geo[4]}u; const CV_TW = ${geo[5]}u; const CV_QH = ${geo[6]}u; const CV_QW = ${geo[7]}u;`,
      'fn tap_offset(k: u32) -> u32 {',
      '  let kk = k % CV_KHW;',
      '  return (k / CV_KHW) * CV_XC + (kk / CV_KW) * CV_TH + (kk % CV_KW) * CV_TW;',
      '}',
    ],
  };
}

/**
 * @internal The implicit forward on/off (tests compare it with the im2col columns it replaces),
 * the most images one dispatch takes (besides the grid's limit; tests lower it), and whether
 * the conv binder gives it a transposed copy of the weight, from how many multiply-adds
 * (kernels/conv/webgpu.ts implicitForward).
 */
export const IMPLICIT_COLUMNS = { enabled: true, maxImages: Infinity, transposeWeight: true, transposeMacs: 1e8 };

/**
 * out[z] (M x P, contiguous) = a (M x K, any strides, shared by every image) @ the columns of
 * image z (see ImplicitColumns), on matmul_blocked.wgsl: the same kernel and plan as matmul,
 * with a load_b4 that computes where each column's tap is. The geometry is baked into the
 * preamble as constants (one pipeline per convolution shape), so the integer divisions by KW,
 * KH * KW and OW are by constants, and the per-column offsets do not depend on k (the compiler
 * takes them out of the K loop). K must be at most MATMUL_K_SLAB (one slab). float32.
 */
export function matmulImplicitColumns(b: WebGPUContext, a: View, x: View, out: View, g: ImplicitColumns): void {
  const [M, K] = [a.shape[a.shape.length - 2]!, a.shape[a.shape.length - 1]!];
  const P = out.shape[out.shape.length - 1]!;
  if (K > MATMUL_K_SLAB) throw new Error(`webgpu matmulImplicitColumns: K = ${K} is over one slab (${MATMUL_K_SLAB})`);
  if (!isContiguous(out.shape, out.strides)) throw new Error('webgpu matmulImplicitColumns: the output must be contiguous');
  if (M === 0 || P === 0 || g.images === 0) return;
  const pl = implicitPlan(b, M, P, K, g.images);
  if (pl.kind !== 'blocked') throw new Error(`webgpu matmulImplicitColumns: needs a register-blocked plan, got ${pl.name}`);
  noteVariant('matmul', pl.name);
  const [aRow, aCol] = [a.strides[a.shape.length - 2]!, a.strides[a.shape.length - 1]!];
  const { rows, cols } = pl;
  const taps = convTaps(g);
  const geo = [...taps.geo, P, g.imageStride, M * P];
  // a's column at k as one vec4 where a is [K, M] in memory (the binder's transposed weight).
  const aVec = aRow === 1 && M % 4 === 0 && aligned(a.offset, aCol);
  const bias = g.bias ?? null;
  const act = bias ? (g.act ?? null) : null;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== M)) throw new Error(`webgpu matmulImplicitColumns: the bias must have ${M} values, got shape [${bias.shape.join(', ')}]`);
  // The bias's offset and stride are constants of the pipeline (a parameter's are 0 and 1).
  const biasAt = bias ? [bias.offset, bias.strides[0]!] : [];
  const preamble = () => [
    `alias C = f32;`, ...operandLines('CA', 'a', 'plain'), ...operandLines('CB', 'b', 'plain'), `const RM4 = ${rows / 4}u;`, `const RN4 = ${cols / 4}u;`, ...taps.lines,
    `const CV_P = ${geo[8]}u; const CV_XN = ${geo[9]}u; const CV_YN = ${geo[10]}u;`,
    ...(aVec
      ? [
          '@group(0) @binding(4) var<storage, read> a4: array<vec4<C>>;',
          'fn load_a4(base: u32, r: u32, k: u32) -> vec4<C> { return a4[(base + k * p.a_col + r) / 4u]; }',
        ]
      : [
          'fn load_a4(base: u32, r: u32, k: u32) -> vec4<C> {',
          '  let o = base + k * p.a_col;',
          '  let m = p.M - 1u;',
          '  return vec4<C>(a[o + r * p.a_row], a[o + min(r + 1u, m) * p.a_row], a[o + min(r + 2u, m) * p.a_row], a[o + min(r + 3u, m) * p.a_row]);',
          '}',
        ]),
    '// Column q: image q / P, output pixel (q % P / OW, q % OW), at this offset from its taps.',
    'fn col_offset(q: u32) -> u32 { let i = q % CV_P; return (q / CV_P) * CV_XN + (i / CV_OW) * CV_QH + (i % CV_OW) * CV_QW; }',
    ...(bias ? ['@group(0) @binding(5) var<storage, read> bias: array<C>;'] : []),
    ...(act ? [mathLib('f32'), actFn(act), 'fn act4(v: vec4<C>) -> vec4<C> { return vec4<C>(act(v.x), act(v.y), act(v.z), act(v.w)); }'] : []),
    '// Row r of columns c0..c0+3 (clipped to M x N), plus row r\'s bias, into out, image by image ([images, M, P]).',
    'fn store_cols(r: u32, c0: u32, v: vec4<C>) {',
    '  if (r >= p.M) { return; }',
    bias ? `  let w = ${act ? 'act4(' : ''}v + vec4<C>(bias[${biasAt[0]}u + r * ${biasAt[1]}u])${act ? ')' : ''};` : '  let w = v;',
    '  for (var j = 0u; j < 4u; j++) {',
    '    let q = c0 + j;',
    '    if (q < p.N) { out[p.out_offset + (q / CV_P) * CV_YN + r * CV_P + q % CV_P] = w[j]; }',
    '  }',
    '}',
    '',
  ].join('\n');
  // One product over the images side by side (N = images x P columns, see col_offset), so the
  // workgroups tile all of them with no block overhanging an image's edge (an image of 14 x 14
  // pixels would leave a quarter of 16-column blocks idle); a run of images per dispatch keeps
  // the grid within the device's limit.
  const wx = Math.min(pl.wx, Math.ceil((g.images * P) / cols));
  const wy = Math.min(pl.wy, Math.ceil(M / rows));
  const spec: KernelSpec = {
    shader: blockedSource(rows, cols, 'implicit'), entry: 'main', variant: `f32|${rows}x${cols}|implicit${aVec ? '|a4' : ''}${bias ? `|bias${biasAt.join(',')}` : ''}${act ? `|${act}` : ''}|${geo.join(',')}`,
    preamble, constants: { WX: wx, WY: wy },
  };
  const resources: Record<string, GPUBuffer> = { a: buf(a), b: buf(x), out: buf(out) };
  if (aVec) resources.a4 = resources.a!;
  if (bias) resources.bias = buf(bias);
  const maxPerDim = b.device.limits.maxComputeWorkgroupsPerDimension;
  const perDispatch = Math.max(1, Math.min(IMPLICIT_COLUMNS.maxImages, Math.floor((maxPerDim * cols * wx) / P)));
  for (let n0 = 0; n0 < g.images; n0 += perDispatch) {
    const N = Math.min(perDispatch, g.images - n0) * P;
    b.dispatch(
      spec,
      resources,
      {
        M, N, K, batch_rank: 1, z_base: 0, accumulate: 0, a_offset: a.offset, b_offset: x.offset + n0 * g.imageStride,
        a_row: aRow, a_col: aCol, b_row: 0, b_col: 0, out_offset: out.offset + n0 * M * P,
        batch_shape: pad([1]), a_batch_strides: pad([0]), b_batch_strides: pad([0]),
      },
      [Math.ceil(N / (cols * wx)), Math.ceil(M / (rows * wy)), 1],
    );
  }
}

/**
 * dw (M x KK, contiguous) = dy x col(x)^T summed over the images, a convolution's weight
 * gradient with its columns read from x where they lie (see ImplicitColumns; column c is tap
 * c = (ci, kh, kw), the terms are every image's pixels): matmul_blocked.wgsl's IMPLICIT_W loop.
 * dy is [images, M, P] through its image and channel strides (pixels contiguous). The terms
 * are cut into chunks of at most MATMUL_K_SLAB, enough of them that the blocks times the
 * chunks fill a CPU's SIMD lanes (IMPLICIT_WEIGHT.minInvocations); each chunk's partial sums
 * go to a batch of its own, which a reduction adds into dw. float32.
 */
export function matmulImplicitWeight(
  b: WebGPUContext, dy: View, dyStrides: readonly [number, number], x: View, dw: View, g: ImplicitColumns,
): void {
  const [M, KK] = [dw.shape[0]!, dw.shape[1]!];
  const P = dy.shape[dy.shape.length - 1]!;
  const total = g.images * P;
  if (!isContiguous(dw.shape, dw.strides)) throw new Error('webgpu matmulImplicitWeight: the output must be contiguous');
  if (M === 0 || KK === 0) return;
  const pl = implicitPlan(b, M, KK, total, 1);
  if (pl.kind !== 'blocked') throw new Error(`webgpu matmulImplicitWeight: needs a register-blocked plan, got ${pl.name}`);
  noteVariant('matmul', pl.name);
  const { rows, cols } = pl;
  const blocks = Math.ceil(M / rows) * Math.ceil(KK / cols);
  const chunk = Math.min(MATMUL_K_SLAB, Math.max(IMPLICIT_WEIGHT.minChunk, Math.ceil(total / Math.ceil(IMPLICIT_WEIGHT.minInvocations / blocks))));
  const chunks = Math.ceil(total / chunk);
  const taps = convTaps(g);
  const geo = [...taps.geo, P, g.imageStride, dyStrides[0], dyStrides[1]];
  const preamble = () => [
    `alias C = f32;`, ...operandLines('CA', 'a', 'plain'), ...operandLines('CB', 'b', 'plain'), `const RM4 = ${rows / 4}u;`, `const RN4 = ${cols / 4}u;`, ...taps.lines,
    `const CV_P = ${geo[8]}u; const CV_XN = ${geo[9]}u; const CV_DN = ${geo[10]}u; const CV_DC = ${geo[11]}u;`,
    ...epilogue(),
    '',
  ].join('\n');
  const wx = Math.min(pl.wx, Math.ceil(KK / cols));
  const wy = Math.min(pl.wy, Math.ceil(M / rows));
  const spec: KernelSpec = {
    shader: blockedSource(rows, cols, 'implicitW'), entry: 'main', variant: `f32|${rows}x${cols}|implicitW|${geo.join(',')}`,
    preamble, constants: { WX: wx, WY: wy },
  };
  const maxPerDim = b.device.limits.maxComputeWorkgroupsPerDimension;
  if (chunks > maxPerDim) throw new Error(`webgpu matmulImplicitWeight: ${chunks} chunks of ${chunk} terms are over the grid's limit (${maxPerDim})`);
  const size = M * KK;
  const part = chunks > 1 ? b.allocate('float32', chunks * size) : undefined;
  try {
    b.dispatch(
      spec,
      { a: buf(dy), b: buf(x), out: part ? (part.handle as GPUBuffer) : buf(dw) },
      {
        M, N: KK, K: chunk, batch_rank: 1, z_base: 0, accumulate: 0, a_offset: dy.offset, b_offset: x.offset,
        a_row: 0, a_col: 0, b_row: total, b_col: 0, out_offset: part ? 0 : dw.offset,
        batch_shape: pad([chunks]), a_batch_strides: pad([0]), b_batch_strides: pad([0]),
      },
      [Math.ceil(KK / (cols * wx)), Math.ceil(M / (rows * wy)), chunks],
    );
    if (part) b.reduce.reduce('sum', { storage: part, dtype: 'float32', shape: [size, chunks], strides: [1, size], offset: 0 }, 1, { storage: dw.storage, dtype: 'float32', shape: [size], strides: [1], offset: dw.offset });
  } finally {
    part?.free();
  }
}

/**
 * @internal The implicit weight gradient's chunks: at least minChunk terms each, and enough of
 * them that blocks x chunks reaches minInvocations (tests lower minChunk to split small sums).
 */
export const IMPLICIT_WEIGHT = { enabled: true, minChunk: 256, minInvocations: 256 };
