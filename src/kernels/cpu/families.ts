/**
 * The cpu backend's kernel families: one row per family (src/kernels/families.ts types the
 * table, so a missing family is a compile error). Each family's cpu reference lives in its
 * own folder, src/kernels/<family>/cpu.ts.
 */
import type { KernelFamilies } from '../families.js';
import { cpuKernels as elementwise } from '../elementwise/cpu.js';
import { cpuKernels as reduce } from '../reduce/cpu.js';
import { cpuKernels as matmul } from '../matmul/cpu.js';
import { cpuKernels as conv } from '../conv/cpu.js';
import { cpuKernels as pooling } from '../pool/cpu.js';
import { cpuKernels as softmax } from '../softmax/cpu.js';
import { cpuKernels as norm } from '../norm/cpu.js';
import { cpuKernels as optim } from '../optim/cpu.js';
import { cpuKernels as cumsum } from '../cumsum/cpu.js';
import { cpuKernels as sort } from '../sort/cpu.js';
import { cpuKernels as scatter } from '../scatter/cpu.js';
import { cpuKernels as resample } from '../resample/cpu.js';
import { cpuKernels as recurrent } from '../recurrent/cpu.js';

export const cpuFamilies: KernelFamilies = { elementwise, reduce, matmul, conv, pooling, softmax, norm, optim, cumsum, sort, scatter, resample, recurrent };
