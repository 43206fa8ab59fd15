// softmax_vec4.wgsl: softmax / log-softmax along contiguous rows, one invocation per row, four
// elements per load. The math is softmax.wgsl's (the row's max subtracted before exp; a row that
// holds a NaN, or whose max is +-inf, comes out NaN), in three passes over the row: max, sum of
// exp(x - max), write.
//
// Bindings (group 0): x (read, as vec4s), out (read_write, vec4s, contiguous), p (uniform
// Params). Preamble: shaders/lib/math_f32.wgsl.
// Used on a CPU adapter for many rows of a length that is a multiple of 4, contiguous along the
// softmax axis, each starting on a multiple of 4 (x_offset and the coalesced row strides).
// Why: llvmpipe runs a workgroup's invocations as SIMD lanes; a workgroup per row pays two
// tree reductions with barriers per row, where an invocation per row needs none (softmax of
// 1024 rows of 1024 floats: the workgroup kernel 16.7 ms, this layout about 4 ms, raw kernels
// measured on llvmpipe).
// Lib: shaders/lib/strided.wgsl (strided_offset2, for the rows; Dims, MAX_RANK).

struct Params {
  n_rows: u32,
  row_len: u32,
  outer_rank: u32,
  x_offset: u32,
  log_out: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  outer_shape: Dims,
  x_strides: Dims,
  o_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

fn is_nan4(v: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// max_c of math_f32.wgsl, per component.
fn max4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  return select(select(max(a, b), b, is_nan4(b)), a, is_nan4(a));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.n_rows) { return; }
  let b = (vec2<u32>(p.x_offset, 0u) + strided_offset2(r, p.outer_rank, p.outer_shape, p.x_strides, p.o_strides)) / 4u;
  let n4 = p.row_len / 4u;
  var m4 = vec4<f32>(-f32_inf());
  for (var j = 0u; j < n4; j++) { m4 = max4(m4, x[b.x + j]); }
  let m = max_c(max_c(m4.x, m4.y), max_c(m4.z, m4.w));
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < n4; j++) { s4 += exp(x[b.x + j] - m); }
  let s = (s4.x + s4.y) + (s4.z + s4.w);
  if (p.log_out != 0u) {
    // (x - m) - log(s), as in softmax.wgsl.
    let log_s = log(s);
    for (var j = 0u; j < n4; j++) { out[b.y + j] = (x[b.x + j] - m) - log_s; }
  } else {
    for (var j = 0u; j < n4; j++) { out[b.y + j] = exp(x[b.x + j] - m) / s; }
  }
}
