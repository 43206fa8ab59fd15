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
import { ROW_NORM_LAYOUT } from '../src/kernels/norm/webgpu.js';
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
        if (elementwiseTypes(UNARY[op].rule, d).compute === d) {
          t(d)[op](); // contiguous: unary_vec4.wgsl
          t(d).T[op](); // strided: unary.wgsl
        }
      }
      for (const op of Object.keys(BINARY) as (keyof typeof BINARY)[]) {
        t(d)[op](t(d)); // contiguous: binary_vec4.wgsl
        t(d).T[op](t(d).T); // strided: binary.wgsl
        wg.full([2, 4], 2, { dtype: d, device })[op](wg.full([4], 2, { dtype: d, device })); // a broadcast row: binary_rows4.wgsl
      }
      for (const op of REDUCE_OPS) {
        t(d)[op](1); // short rows: one invocation per output
        wg.full([2, 300], 1, { dtype: d, device })[op](1); // long rows: a workgroup per output
      }
      t(d).matmul(t(d).T);
      for (const name of wg.kernelVariants().matmul.names) {
        // Every layout; the blocked one with its strided loads (3 x 2) and its vector loads (4 x 4, a transposed).
        wg.configureKernels({ matmul: name });
        t(d).matmul(t(d).T);
        const q = wg.full([4, 4], 2, { dtype: d, device });
        q.T.matmul(q);
      }
      wg.configureKernels({ matmul: null });
      t(d).scatterAdd(0, wg.zeros([1, 2], { dtype: 'int32', device }), t(d));
      wg.rand([4], { dtype: d === 'int32' ? 'float32' : d, device });
      wg.arange(0, 5, 1, { dtype: d, device });
    }
    wg.randint(0, 5, [4], { device });
    wg.randn([4], { device });
    for (const a of all) {
      for (const b of all) t(a).cast(b === a ? a : b);
      wg.where(t('bool'), t(a), t(a)); // contiguous: where_vec4.wgsl
      wg.where(t('bool').T, t(a).T, t(a).T); // strided: where.wgsl:main
      wg.where(t('bool').flatten().slice([1, 5]), t(a).flatten().slice([1, 5]), t(a).flatten().slice([2, 6])); // rank 1 from odd offsets: where.wgsl:flat4
      wg.full([2], a === 'bool' ? true : 1, { dtype: a, device });
      t(a).gather(0, wg.zeros([1, 2], { dtype: 'int32', device }));
    }
    // activations (the unary kernel with parameters) and the fused optimizer steps
    for (const f of [wg.F.gelu, wg.F.silu, wg.F.elu, wg.F.softplus, wg.F.hardtanh, (x: wg.Tensor) => wg.F.leakyRelu(x, 0.1), (x: wg.Tensor) => wg.F.gelu(x, { approximate: 'tanh' })]) f(t('float32'));
    for (const make of [
      (p: wg.Tensor[]) => new wg.optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
      (p: wg.Tensor[]) => new wg.optim.Adam(p, { lr: 0.1, amsgrad: true }),
      (p: wg.Tensor[]) => new wg.optim.RMSprop(p, { lr: 0.1, centered: true, momentum: 0.5 }),
      (p: wg.Tensor[]) => new wg.optim.Adagrad(p, { lr: 0.1 }),
      (p: wg.Tensor[]) => new wg.optim.Adadelta(p),
    ]) {
      const p = wg.ones([5], { device, requiresGrad: true });
      p.grad = wg.ones([5], { device });
      make([p]).step();
    }
    // batch normalization: statistics, apply, and both backward entry points
    const bx = wg.randn([2, 3, 4], { device, requiresGrad: true });
    wg.F.batchNorm(bx, null, null, null, null, { training: true }).sum().backward();
    // row normalization (layerNorm, groupNorm): both layouts, forward and backward
    for (const perInvocation of [true, false]) {
      ROW_NORM_LAYOUT.perInvocation = perInvocation;
      const lx = wg.randn([3, 5], { device, requiresGrad: true });
      wg.F.layerNorm(lx, 5, wg.ones([5], { device, requiresGrad: true }), wg.zeros([5], { device })).mul(lx).sum().backward();
    }
    ROW_NORM_LAYOUT.perInvocation = null;
    // ---- nn kernels: convolution ----
    {
      // Each conv2d.wgsl entry point (forward, backward_input, backward_weight) in each layout.
      const conv = (c: number) => {
        const x = wg.ones([1, c, 3, 3], { device, requiresGrad: true });
        wg.F.conv2d(x, wg.ones([c, c, 1, 1], { device, requiresGrad: true })).sum().backward();
        wg.F.conv2d(x, wg.ones([c, c, 1, 1], { device }), wg.ones([c], { device })); // a bias: channel_bias.wgsl after the non-implicit layouts
      };
      // Every layout forced (im2col.wgsl's entries and the matmul kernels under 'im2col'); tiled with 16 and 64 columns.
      for (const force of wg.kernelVariants().conv.names) {
        wg.configureKernels({ conv: force });
        try {
          conv(2);
          if (force === 'tiled') conv(40);
        } finally {
          wg.configureKernels({ conv: null });
        }
      }
    }
    // ---- nn kernels: pooling ----
    {
      const x = wg.full([1, 2, 5, 5], 0.5, { device, requiresGrad: true });
      const y = wg.F.maxPool2d(x, 3, { stride: 1, padding: 1 }); // pool2d_max_small.wgsl:window; backward: pool2d_max_grad.wgsl:max_grad
      wg.F.maxPool2d(x, 2).sum().backward(); // pool2d_max_small.wgsl:scatter
      const { MAX_POOL_LAYOUT } = await import('../src/kernels/pool/webgpu.js');
      MAX_POOL_LAYOUT.smallWindow = 0; // the two-pass forward
      try {
        wg.F.maxPool2d(x, 3, { stride: 1, padding: 1 }); // pool2d_max.wgsl:max_axis
      } finally {
        MAX_POOL_LAYOUT.smallWindow = 64;
      }
      const z = wg.F.avgPool2d(x, 2); // pool2d.wgsl:avg_axis
      y.sum().add(z.sum()).add(wg.F.adaptiveAvgPool2d(x, 2).sum()).backward(); // pool2d.wgsl:avg_axis_grad
      wg.F.embedding(wg.zeros([3], { dtype: 'int32', device }), wg.ones([2, 2], { device })); // pool_index.wgsl:check_range
    }
    // ---- nn kernels: softmax and losses ----
    {
      const x = wg.full([2, 5], 0.5, { device });
      wg.F.softmax(x, 1); // softmax.wgsl:row
      wg.F.logSoftmax(x.T, 1);
      const { NN_SOFTMAX_LIMITS } = await import('../src/kernels/softmax/webgpu.js');
      const steps = NN_SOFTMAX_LIMITS.rowSteps;
      NN_SOFTMAX_LIMITS.rowSteps = 1; // rows of more than WG elements take chunk_stats + chunk_write
      try {
        wg.F.softmax(wg.full([2, 600], 0.5, { device }), 1);
      } finally {
        NN_SOFTMAX_LIMITS.rowSteps = steps;
      }
      NN_SOFTMAX_LIMITS.perInvocation = 'always'; // an invocation per row (a CPU adapter's layout)
      try {
        wg.F.softmax(x, 1); // softmax.wgsl:row_thread
        wg.F.softmax(wg.full([2, 8], 0.5, { device }), 1); // softmax_vec4.wgsl:main
      } finally {
        NN_SOFTMAX_LIMITS.perInvocation = 'cpuAdapter';
      }
      const t = wg.zeros([2], { dtype: 'int32', device });
      wg.F.crossEntropy(x, t, { weight: wg.ones([5], { device }) }); // cross_entropy.wgsl:main
      wg.F.nllLoss(x, t); // cross_entropy.wgsl:nll
    }
    // ---- kernel families: cumsum ----
    for (const d of numeric) {
      t(d).cumsum(1); // cumsum.wgsl:row_thread
      wg.full([2, 9000], 1, { dtype: d, device }).cumsum(1); // chunk_scan, then add_carry (more than WG * 8 elements a row)
    }
    // ---- kernel families: sort, scatter ----
    for (const d of numeric) {
      t(d).sort(); // sort.wgsl:sort_block
      wg.full([2, 3000], 1, { dtype: d, device }).sort(); // sort_merge (rows past a block of 2048)
      const idx = wg.zeros([2, 2], { dtype: 'int32', device });
      for (const r of ['sum', 'mean'] as const) t(d).scatterReduce(1, idx, t(d), r, { includeSelf: false }); // scatter_reduce.wgsl:clear, main, finish_mean
      t(d).scatter(1, idx, 0);
    }
    // ---- kernel families: cumsum's products and the resample family ----
    {
      for (const d of numeric) wg.full([2, 9000], 1, { dtype: d, device }).cumprod(1); // the same entries with comb = *
      const x = wg.full([2, 5], 0.5, { device, requiresGrad: true });
      x.cumprod(1).sum().backward(); // cumsum.wgsl:prod_grad_suffix, prod_grad_prefix
      const y = wg.full([1, 1, 3, 3], 0.5, { device, requiresGrad: true });
      wg.F.interpolate(y, { size: 5, mode: 'bilinear' }).sum().backward(); // resample.wgsl:axis_fwd, axis_grad
    }
    // ---- float16 storage: half.wgsl:widen and narrow, around any kernel ----
    wg.zeros([3], { dtype: 'float16', device }).add(1);
    // ---- kernel families: recurrent (recurrent_step.wgsl and recurrent_grad.wgsl: rnn_tanh, rnn_relu, lstm, gru) ----
    {
      const x = wg.ones([2, 1, 2], { device });
      const back = (y: wg.Tensor) => y.sum().backward();
      back(new wg.nn.RNN(2, 3, { device }).forward(x)[0]);
      back(new wg.nn.RNN(2, 3, 1, 'relu', { device }).forward(x)[0]);
      back(new wg.nn.LSTM(2, 3, { device }).forward(x)[0]);
      back(new wg.nn.GRU(2, 3, { device }).forward(x)[0]);
    }
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
