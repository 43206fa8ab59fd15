// matmul_io.wgsl: what both matmul kernels (shaders/matmul.wgsl, shaders/matmul_blocked.wgsl)
// share, spliced in by the host after strided.wgsl: the uniform Params (one struct, so one
// binder fills either kernel), the bindings a, b (read, strided), out (read_write, contiguous
// [batch, M, N] from out_offset) and p, and the store of a row of four outputs, clipped to M x N,
// that adds into out when accumulate != 0 (the K slabs after the first).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  a_offset: u32,
  b_offset: u32,
  z_base: u32,
  accumulate: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
  out_offset: u32,
  batch_shape: Dims,
  a_batch_strides: Dims,
  b_batch_strides: Dims,
}

// a and b hold CA and CB (f32, or a float16 operand's f16 or packed u32 words); kernels read
// them only through the preamble's load_a(i) and load_b(i), which return element i as C.
@group(0) @binding(0) var<storage, read> a: array<CA>;
@group(0) @binding(1) var<storage, read> b: array<CB>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<uniform> p: Params;

fn store(o: u32, v: C) {
  if (p.accumulate != 0u) { out[o] = out[o] + v; } else { out[o] = v; }
}

fn store_row(out_base: u32, r: u32, c0: u32, v: vec4<C>) {
  if (r >= p.M) { return; }
  let o = out_base + r * p.N + c0;
  if (c0 < p.N) { store(o, v.x); }
  if (c0 + 1u < p.N) { store(o + 1u, v.y); }
  if (c0 + 2u < p.N) { store(o + 2u, v.z); }
  if (c0 + 3u < p.N) { store(o + 3u, v.w); }
}
