/**
 * Every WGSL kernel compiles, in every variant the binders generate (each dtype each op takes),
 * with no compiler errors. On failure the message carries getCompilationInfo's messages and
 * the numbered source. Also checks that each shader file documents its bindings up front.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { SHADERS, WebGPUBackend } from '../src/kernels/webgpu/index.js';
import { numbered, reflectBindings } from '../src/kernels/webgpu/pipelines.js';
import { BINARY, UNARY, REDUCE_OPS, elementwiseTypes } from '../src/kernels/ops.js';
import { NO_WEBGPU, useDevices } from './helpers.js';
import type { DType } from '../src/index.js';

useDevices();

describe.skipIf(NO_WEBGPU)('WGSL kernels', () => {
  it('every shader file opens with a comment describing its bindings', () => {
    for (const s of Object.values(SHADERS)) {
      expect(s.source.startsWith(`// ${s.file}`), s.file).toBe(true);
      expect(s.source.slice(0, 600), s.file).toMatch(/[Bb]indings/);
    }
  });

  it('every kernel variant builds without compiler errors', async () => {
    const device = 'webgpu' as const;
    const t = (dtype: DType) => wg.full([3, 2], dtype === 'bool' ? true : 2, { dtype, device });
    const numeric: DType[] = ['float32', 'int32'];
    const all: DType[] = ['float32', 'int32', 'bool'];
    for (const d of numeric) {
      for (const op of Object.keys(UNARY) as (keyof typeof UNARY)[]) {
        if (elementwiseTypes(UNARY[op].rule, d).compute === d) t(d)[op]();
      }
      for (const op of Object.keys(BINARY) as (keyof typeof BINARY)[]) {
        t(d)[op](t(d)); // contiguous: binary_vec4.wgsl
        t(d).T[op](t(d).T); // strided: binary.wgsl
      }
      for (const op of REDUCE_OPS) {
        t(d)[op](1); // short rows: one invocation per output
        wg.full([2, 300], 1, { dtype: d, device })[op](1); // long rows: a workgroup per output
      }
      t(d).matmul(t(d).T);
      t(d).scatterAdd(0, wg.zeros([1, 2], { dtype: 'int32', device }), t(d));
      wg.rand([4], { dtype: d === 'int32' ? 'float32' : d, device });
      wg.arange(0, 5, 1, { dtype: d, device });
    }
    wg.randint(0, 5, [4], { device });
    wg.randn([4], { device });
    for (const a of all) {
      for (const b of all) t(a).cast(b === a ? a : b);
      wg.where(t('bool'), t(a), t(a));
      wg.full([2], a === 'bool' ? true : 1, { dtype: a, device });
      t(a).gather(0, wg.zeros([1, 2], { dtype: 'int32', device }));
    }
    // ---- nn kernels: convolution ----
    // ---- nn kernels: pooling ----
    // ---- nn kernels: softmax and losses ----
    await wg.sync();
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const kernels = backend.pipelines.all();
    // Every shader file was exercised.
    const files = new Set(kernels.map((k) => k.label.split(':')[0]));
    for (const s of Object.values(SHADERS)) expect(files.has(s.file), `${s.file} was never built`).toBe(true);
    const failures: string[] = [];
    for (const k of kernels) {
      const info = await k.module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        failures.push(`${k.label}:\n${errors.map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n')}\n${numbered(k.code)}`);
      }
      // The explicit layout matches what reflection reads from the final source.
      expect(reflectBindings(k.code, k.label).bindings).toEqual(k.bindings);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(kernels.length).toBeGreaterThan(60);
  });

  it('a binding the shader does not declare is a clear error, not a WebGPU validation message', () => {
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const x = wg.ones([4], { device: 'webgpu' });
    expect(() =>
      backend.dispatch(
        { shader: SHADERS.fill, entry: 'fill', preamble: 'alias SO = f32;\nfn from_f32(v: f32) -> SO { return v; }\nfn from_i32(v: i32) -> SO { return f32(v); }\n' },
        { out: x.storage.handle as GPUBuffer, bogus: x.storage.handle as GPUBuffer },
        {},
        [1, 1, 1],
      ),
    ).toThrow(/declares no storage binding 'bogus'/);
  });

  it('a uniform field the shader does not declare is a clear error', () => {
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const x = wg.ones([4], { device: 'webgpu' });
    expect(() =>
      backend.dispatch(
        { shader: SHADERS.fill, entry: 'fill', preamble: 'alias SO = f32;\nfn from_f32(v: f32) -> SO { return v; }\nfn from_i32(v: i32) -> SO { return f32(v); }\n' },
        { out: x.storage.handle as GPUBuffer },
        { n: 4, nonsense: 1 },
        [1, 1, 1],
      ),
    ).toThrow(/has no field 'nonsense'/);
  });

  it('a kernel that fails to build is reported with its compiler message and source', async () => {
    const backend = wg.getBackend('webgpu') as WebGPUBackend;
    const x = wg.ones([4], { device: 'webgpu' });
    backend.dispatch(
      { shader: SHADERS.fill, entry: 'fill', preamble: 'alias SO = f32;\nfn from_f32(v: f32) -> SO { return undefined_name; }\nfn from_i32(v: i32) -> SO { return f32(v); }\n' },
      { out: x.storage.handle as GPUBuffer },
      { n: 4, rank: 1, out_offset: 0, is_int: 0, value: 1, ivalue: 0, step: 0, istep: 0, shape: [4], out_strides: [1] },
      [1, 1, 1],
    );
    await expect(x.data()).rejects.toThrow(/fill\.wgsl:fill failed to build[\s\S]*undefined_name[\s\S]*--- source ---/);
    // The backend recovers: the next read works.
    expect(Array.from(await wg.ones([2], { device: 'webgpu' }).data())).toEqual([1, 1]);
  });
});
