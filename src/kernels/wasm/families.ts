/**
 * The wasm backend's kernel families: the families with WebAssembly kernels get their own
 * tables (src/kernels/<family>/wasm.ts); the others run the cpu reference on the wasm heap's
 * typed arrays. Each wasm table falls back to the cpu reference itself for the dtypes and
 * layouts its C kernels do not take (float64, int32, ...), so every table is complete.
 */
import type { KernelFamilies } from '../families.js';
import { cpuFamilies } from '../cpu/families.js';
import type { WasmRuntime } from './runtime.js';
import { wasmKernels as matmul } from '../matmul/wasm.js';
import { wasmKernels as conv } from '../conv/wasm.js';
import { wasmKernels as softmax } from '../softmax/wasm.js';
import { wasmKernels as optim } from '../optim/wasm.js';
import { wasmKernels as norm } from '../norm/wasm.js';
import { wasmKernels as pooling } from '../pool/wasm.js';
import { wasmKernels as elementwise } from '../elementwise/wasm.js';
import { wasmKernels as reduce } from '../reduce/wasm.js';
import { wasmKernels as recurrent } from '../recurrent/wasm.js';

export function wasmFamilies(rt: WasmRuntime): KernelFamilies {
  return {
    ...cpuFamilies,
    matmul: matmul(rt), conv: conv(rt), elementwise: elementwise(rt), reduce: reduce(rt),
    softmax: softmax(rt), optim: optim(rt), norm: norm(rt), pooling: pooling(rt), recurrent: recurrent(rt),
  };
}
