/**
 * Post-training weight quantization: symmetric int8 (or uint8) with one float32 scale per
 * channel (or one per tensor), and a safetensors layout for a quantized state dict.
 *
 * Symmetric, as PyTorch's per_channel_symmetric qscheme, with the range narrowed to
 * [-127, 127] so that zero is exact and the range is symmetric: scale_c = max|w_c| / 127,
 * q = clamp(round(w / scale_c), -127, 127) (round half to even, as torch.round), zero point 0.
 * uint8 is the same grid shifted by a zero point of 128 (q in [1, 255]). Every element comes
 * back within scale/2 of its value (plus float32 rounding of the product). An all-zero
 * channel gets scale 1.
 *
 * Quantized tensors live on cpu (webgpu has no 8-bit storage); `dequantize` gives float32 on
 * cpu, and `loadQuantized` moves the dequantized state to the device asked for.
 */
import { Module } from '../layers/module.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor, zerosLike } from '../tensor/creation.js';
import { checkChoice, checkNumber, checkOptions, describe } from '../core/options.js';
import { loadSafetensorsWithMetadata, parseSafetensors, saveSafetensors } from '../io/safetensors.js';
import { isFloat } from '../core/dtype.js';
import type { DeviceName } from '../kernels/backend.js';
import { getDefaultDevice } from '../runtime.js';

export type QuantDType = 'int8' | 'uint8';

export interface QuantizeOptions {
  /** The channel axis (default 0: the output channels of Linear and Conv weights); negative counts from the end. */
  axis?: number;
  /** The stored type (default 'int8', zero point 0; 'uint8': zero point 128). */
  dtype?: QuantDType;
}

/** A quantized tensor: value = (values - zeroPoints) * scales, broadcast along `axis`. */
export interface Quantized {
  /** The integers, on cpu, of the original shape. */
  values: Tensor;
  /** float32: one per channel ([C]), or 0-d for per-tensor. */
  scales: Tensor;
  /** int32, shaped as scales: 0 for int8, 128 for uint8. */
  zeroPoints: Tensor;
  /** The channel axis, or null for per-tensor. */
  axis: number | null;
}

const ZERO: Record<QuantDType, number> = { int8: 0, uint8: 128 };

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes `n` channels of `per` contiguous values each. */
function quantizeRows(v: ArrayLike<number>, n: number, per: number, dtype: QuantDType): { q: Int8Array | Uint8Array; scales: Float32Array } {
  const q = dtype === 'int8' ? new Int8Array(v.length) : new Uint8Array(v.length);
  const scales = new Float32Array(n);
  const zp = ZERO[dtype];
  for (let c = 0; c < n; c++) {
    let amax = 0;
    for (let j = c * per; j < (c + 1) * per; j++) amax = Math.max(amax, Math.abs(v[j]!));
    const s = amax > 0 ? Math.fround(amax / 127) : 1;
    scales[c] = s;
    for (let j = c * per; j < (c + 1) * per; j++) q[j] = Math.max(-127, Math.min(127, roundHalfEven(v[j]! / s))) + zp;
  }
  return { q, scales };
}

function checkFloat(op: string, w: unknown): Tensor {
  if (!(w instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${describe(w)}`);
  if (!isFloat(w.dtype)) throw new Error(`${op}: expected a float32 or float64 tensor, got ${w.dtype}`);
  return w;
}

function checkValues(op: string, w: Tensor, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new Error(`${op}: the tensor holds ${v[i]} at element ${i}; only finite values can be quantized`);
  }
  void w;
}

/**
 * Quantizes `w` with one symmetric scale per slice along `axis` (default 0). Async: it reads
 * `w`, which may be on webgpu. The result is on cpu.
 */
export async function quantizePerChannel(w: Tensor, options?: QuantizeOptions): Promise<Quantized> {
  const op = 'quantizePerChannel';
  checkFloat(op, w);
  checkOptions(op, options, ['axis', 'dtype']);
  const dtype = options?.dtype === undefined ? 'int8' : checkChoice(op, 'dtype', options.dtype, ['int8', 'uint8'] as const);
  if (w.ndim === 0) throw new Error(`${op}: a 0-d tensor has no channels; use quantizePerTensor`);
  const a = checkNumber(op, 'axis', options?.axis ?? 0, { int: true, min: -w.ndim, max: w.ndim - 1 });
  const axis = a < 0 ? a + w.ndim : a;
  const moved = axis === 0 ? w : w.transpose(0, axis);
  const v = await moved.data();
  checkValues(op, w, v);
  const n = w.shape[axis]!;
  const { q, scales } = quantizeRows(v, n, n === 0 ? 0 : v.length / n, dtype);
  const qt = tensor(q, { shape: moved.shape, dtype, device: 'cpu' });
  if (moved !== w) moved.dispose();
  let values = qt;
  if (axis !== 0) {
    const back = qt.transpose(0, axis);
    values = back.contiguous();
    back.dispose();
    qt.dispose();
  }
  return {
    values,
    scales: tensor(scales, { device: 'cpu' }),
    zeroPoints: tensor(new Int32Array(n).fill(ZERO[dtype]), { device: 'cpu' }),
    axis,
  };
}

/** Quantizes `w` with one symmetric scale for the whole tensor. Async, as quantizePerChannel. */
export async function quantizePerTensor(w: Tensor, options?: { dtype?: QuantDType }): Promise<Quantized> {
  const op = 'quantizePerTensor';
  checkFloat(op, w);
  checkOptions(op, options, ['dtype']);
  const dtype = options?.dtype === undefined ? 'int8' : checkChoice(op, 'dtype', options.dtype, ['int8', 'uint8'] as const);
  const v = await w.data();
  checkValues(op, w, v);
  const { q, scales } = quantizeRows(v, 1, v.length, dtype);
  return {
    values: tensor(q, { shape: w.shape, dtype, device: 'cpu' }),
    scales: tensor(scales[0]!, { device: 'cpu' }),
    zeroPoints: tensor(ZERO[dtype], { dtype: 'int32', device: 'cpu' }),
    axis: null,
  };
}

/** (values - zeroPoints) * scales as float32, on cpu. */
export function dequantize(q: Quantized): Tensor {
  const op = 'dequantize';
  if (q === null || typeof q !== 'object' || !(q.values instanceof Tensor) || !(q.scales instanceof Tensor) || !(q.zeroPoints instanceof Tensor)) {
    throw new Error(`${op}: expected { values, scales, zeroPoints, axis } as quantizePerChannel returns, got ${describe(q)}`);
  }
  const { values, scales, zeroPoints, axis } = q;
  if (values.dtype !== 'int8' && values.dtype !== 'uint8') throw new Error(`${op}: values must be int8 or uint8, got ${values.dtype}`);
  let shape: number[];
  if (axis === null) {
    if (scales.size !== 1) throw new Error(`${op}: a per-tensor scale must have one element, got shape [${scales.shape.join(', ')}]`);
    shape = [];
  } else {
    checkNumber(op, 'axis', axis, { int: true, min: 0, max: values.ndim - 1 });
    const c = values.shape[axis]!;
    if (scales.ndim !== 1 || scales.size !== c || zeroPoints.size !== c) {
      throw new Error(`${op}: expected ${c} scales and zero points (dimension ${axis} of values, shape [${values.shape.join(', ')}]), got shapes [${scales.shape.join(', ')}] and [${zeroPoints.shape.join(', ')}]`);
    }
    shape = values.shape.map((d, i) => (i === axis ? d : 1));
  }
  const s = scales.reshape(shape);
  const z = zeroPoints.reshape(shape);
  const f = values.cast('float32');
  const centred = f.sub(z);
  const out = centred.mul(s);
  for (const t of [s, z, f, centred]) t.dispose();
  return out;
}

/** The metadata key of a quantized state dict's safetensors file. */
export const QUANT_METADATA_KEY = 'webgrad.quantization';

export interface QuantizedStateDict {
  /** What the file holds: `name` (int8/uint8), `name_scale` (float32), and for uint8 `name_zero_point` (int32; int8's are all 0, so not stored) per quantized tensor; the rest as they were. */
  tensors: Record<string, Tensor>;
  /** `{ 'webgrad.quantization': JSON of { version: 1, tensors: { name: { axis, dtype } } } }`. */
  metadata: Record<string, string>;
}

function stateOf(op: string, s: unknown): Record<string, Tensor> {
  if (s instanceof Module) return s.stateDict();
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && !(s instanceof Tensor)) {
    for (const [k, v] of Object.entries(s)) if (!(v instanceof Tensor)) throw new Error(`${op}: '${k}' is not a Tensor (got ${describe(v)})`);
    return s as Record<string, Tensor>;
  }
  throw new Error(`${op}: expected a Module or a state dict (a record of tensors by name), got ${describe(s)}`);
}

/**
 * Quantizes the weights of a state dict (or a module's): every float tensor of 2 or more dims
 * (Linear and Conv weights) per channel along `axis` (default 0); biases, norms' parameters and
 * buffers, and integer tensors stay as they are.
 */
export async function quantizeStateDict(state: Module | Record<string, Tensor>, options?: QuantizeOptions): Promise<QuantizedStateDict> {
  const op = 'quantizeStateDict';
  const src = stateOf(op, state);
  checkOptions(op, options, ['axis', 'dtype']);
  const dtype = options?.dtype === undefined ? 'int8' : checkChoice(op, 'dtype', options.dtype, ['int8', 'uint8'] as const);
  const axis = options?.axis === undefined ? 0 : checkNumber(op, 'axis', options.axis, { int: true, min: 0 });
  const tensors: Record<string, Tensor> = {};
  const info: Record<string, { axis: number; dtype: QuantDType }> = {};
  for (const [name, t] of Object.entries(src)) {
    if (!isFloat(t.dtype) || t.ndim < 2) continue;
    if (axis >= t.ndim) throw new Error(`${op}: axis ${axis} is out of range for '${name}' of shape [${t.shape.join(', ')}]`);
    for (const extra of [`${name}_scale`, `${name}_zero_point`]) {
      if (Object.hasOwn(src, extra)) throw new Error(`${op}: the state already has '${extra}', the name the scales of '${name}' would take`);
    }
    const q = await quantizePerChannel(t, { axis, dtype });
    tensors[name] = q.values;
    tensors[`${name}_scale`] = q.scales;
    if (dtype === 'uint8') tensors[`${name}_zero_point`] = q.zeroPoints;
    else q.zeroPoints.dispose();
    info[name] = { axis, dtype };
  }
  const out: Record<string, Tensor> = {};
  // Keep the state's order; quantized tensors are followed by their scales and zero points.
  for (const [name, t] of Object.entries(src)) {
    const dtype = info[name]?.dtype;
    if (dtype) {
      out[name] = tensors[name]!;
      out[`${name}_scale`] = tensors[`${name}_scale`]!;
      if (dtype === 'uint8') out[`${name}_zero_point`] = tensors[`${name}_zero_point`]!;
    } else out[name] = t;
  }
  return { tensors: out, metadata: { [QUANT_METADATA_KEY]: JSON.stringify({ version: 1, tensors: info }) } };
}

/**
 * The float state dict of a quantized one (what `quantizeStateDict` made, or a file's tensors
 * and metadata): each quantized tensor dequantized to float32, its scales and zero points
 * dropped; on cpu. Load it with `model.loadStateDict(...)`.
 */
export function dequantizeStateDict(tensors: Record<string, Tensor>, metadata: Record<string, string>): Record<string, Tensor> {
  const op = 'dequantizeStateDict';
  const raw = metadata?.[QUANT_METADATA_KEY];
  if (raw === undefined) throw new Error(`${op}: the metadata has no '${QUANT_METADATA_KEY}' entry: not a state dict saved by saveQuantized`);
  let info: Record<string, { axis: number; dtype: QuantDType }>;
  try {
    const parsed = JSON.parse(raw) as { version?: unknown; tensors?: unknown };
    if (parsed.version !== 1 || parsed.tensors === null || typeof parsed.tensors !== 'object') throw new Error('expected { version: 1, tensors }');
    info = parsed.tensors as typeof info;
  } catch (e) {
    throw new Error(`${op}: the '${QUANT_METADATA_KEY}' metadata is not valid (${(e as Error).message})`);
  }
  const out: Record<string, Tensor> = {};
  const derived = new Set<string>();
  for (const [name, { axis, dtype }] of Object.entries(info)) {
    const values = tensors[name];
    const scales = tensors[`${name}_scale`];
    const zeroPoints = dtype === 'uint8' ? tensors[`${name}_zero_point`] : scales && zerosLike(scales, { dtype: 'int32' });
    if (!values || !scales || !zeroPoints) throw new Error(`${op}: '${name}' is listed as quantized but '${name}', '${name}_scale' or '${name}_zero_point' is missing`);
    out[name] = dequantize({ values, scales, zeroPoints, axis });
    if (dtype !== 'uint8') zeroPoints.dispose();
    derived.add(`${name}_scale`).add(`${name}_zero_point`);
  }
  for (const [name, t] of Object.entries(tensors)) if (!(name in out) && !derived.has(name)) out[name] = t;
  return out;
}

/**
 * Saves a quantized copy of a model's (or a state dict's) weights as safetensors: int8 weights
 * (I8), float32 scales (F32), int32 zero points (I32)
 * (uint8 only: int8's are 0), the other tensors as they are, and the layout in the file's
 * metadata. About 4x smaller than float32 for weight-dominated models.
 */
export async function saveQuantized(state: Module | Record<string, Tensor>, path: string, options?: QuantizeOptions): Promise<void> {
  const q = await quantizeStateDict(state, options);
  await saveSafetensors(q.tensors, path, q.metadata);
  // The quantized copies were made here; the tensors passed through belong to the caller.
  const made = Object.keys((JSON.parse(q.metadata[QUANT_METADATA_KEY]!) as { tensors: Record<string, unknown> }).tensors);
  for (const name of made) for (const k of [name, `${name}_scale`, `${name}_zero_point`]) q.tensors[k]?.dispose();
}

/** Reads a file written by saveQuantized: the float32 state dict, on `device` (default: the default device). */
export async function loadQuantized(path: string, options?: { device?: DeviceName }): Promise<Record<string, Tensor>> {
  const op = 'loadQuantized';
  checkOptions(op, options, ['device']);
  const device = options?.device ?? getDefaultDevice();
  const { tensors, metadata } = await loadSafetensorsWithMetadata(path, { device: 'cpu' });
  return moveAll(dequantizeStateDict(tensors, metadata), tensors, device);
}

/** As loadQuantized, from the bytes of a file. */
export async function parseQuantized(bytes: Uint8Array, options?: { device?: DeviceName }): Promise<Record<string, Tensor>> {
  const op = 'parseQuantized';
  checkOptions(op, options, ['device']);
  const device = options?.device ?? getDefaultDevice();
  const { tensors, metadata } = parseSafetensors(bytes, { device: 'cpu' });
  return moveAll(dequantizeStateDict(tensors, metadata), tensors, device);
}

async function moveAll(state: Record<string, Tensor>, loaded: Record<string, Tensor>, device: DeviceName): Promise<Record<string, Tensor>> {
  const keepSet = new Set(Object.values(state));
  for (const t of Object.values(loaded)) if (!keepSet.has(t)) t.dispose();
  if (device === 'cpu') return state;
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state)) {
    out[k] = await t.to(device);
    t.dispose();
  }
  return out;
}
