/**
 * Kernels that read float16 operands where they lie, without src/kernels/half.ts widening them
 * first (the matmul family's a and b): an operand's loader, `fn load_<name>(i: u32) -> f32`,
 * returns element i as the kernel computes it, exactly, whatever the storage:
 * - 'plain': the kernel's own type C (f32, or i32 for an int32 product), `array<C>`;
 * - 'h16': a float16 storage as `array<f16>`, where the device has `shader-f16`
 *   (a WGSL f16 -> f32 conversion is exact: every float16 is a float32);
 * - 'hpack': a float16 storage as `array<u32>` (two elements a word) on any device, decoded
 *   on the bits (shaders/lib/half_bits.wgsl), the fallback where shader-f16 is missing.
 * Either way the kernel computes in float32 from the same values, so both give the same bits
 * as the widened path (tests/float16.test.ts checks all three on each adapter it has).
 */
import halfBitsSrc from '../../../shaders/lib/half_bits.wgsl';
import type { View } from '../../core/view.js';
import type { AdapterReport } from './device.js';

export { halfBitsSrc };

/** Whether kernels read float16 as f16 where the device has shader-f16 (tests turn it off to run the packed fallback). */
export const SHADER_F16 = { enabled: true };

export type OperandKind = 'plain' | 'h16' | 'hpack';

/** How a kernel on this device loads `v`. */
export function operandKind(adapter: AdapterReport, v: View): OperandKind {
  if (v.dtype !== 'float16') return 'plain';
  return SHADER_F16.enabled && adapter.shaderF16 ? 'h16' : 'hpack';
}

/** The storage type of the operand's binding (alias `alias`), and its loader `load_<name>` (after `alias C`; float16 kinds need C = f32). */
export function operandLines(alias: string, name: string, kind: OperandKind): string[] {
  switch (kind) {
    // No loader: the binder writes load_<name>(i) back as <name>[i] (matmul's inlineLoads).
    case 'plain': return [`alias ${alias} = C;`];
    case 'h16': return [`alias ${alias} = f16;`, `fn load_${name}(i: u32) -> f32 { return f32(${name}[i]); }`];
    case 'hpack':
      return [`alias ${alias} = u32;`, `fn load_${name}(i: u32) -> f32 { return bitcast<f32>(f32_bits_from_half((${name}[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu)); }`];
  }
}

/**
 * A preamble's head for operands of these kinds: `enable f16;` first where one is 'h16' (an
 * enable directive must precede every declaration), the bit decoder where one is 'hpack'.
 */
export function operandHead(...kinds: OperandKind[]): string[] {
  return [...(kinds.includes('h16') ? ['enable f16;'] : []), ...(kinds.includes('hpack') ? [halfBitsSrc] : [])];
}
