// where.wgsl: out[i] = cond[i] != 0 ? a[i] : b[i], all strided and already broadcast.
//
// Bindings (group 0): cond (read, bool stored as u32), a, b (read), out (read_write, contiguous),
// p (uniform Params). Preamble: alias C (the value type, also out's storage type).
// Entry points: main (one element per invocation, strided), flat4 (rank <= 1, four per invocation).
// Lib: shaders/lib/strided.wgsl (strided_offset3; Dims, MAX_RANK).

struct Params {
  n: u32,
  rank: u32,
  c_offset: u32,
  a_offset: u32,
  b_offset: u32,
  shape: Dims,
  c_strides: Dims,
  a_strides: Dims,
  b_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<C>;
@group(0) @binding(2) var<storage, read> b: array<C>;
@group(0) @binding(3) var<storage, read_write> out: array<C>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = strided_offset3(i, p.rank, p.shape, p.c_strides, p.a_strides, p.b_strides);
  out[i] = select(b[p.b_offset + o.z], a[p.a_offset + o.y], cond[p.c_offset + o.x] != 0u);
}

// Rank <= 1 after coalescing (contiguous operands, or broadcast scalars with stride 0): four
// elements per invocation, indexed directly (on a CPU adapter an invocation costs more than
// a select; one element each ran ReLU's gradient at about a tenth of an add's speed).
@compute @workgroup_size(WG)
fn flat4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * 4u;
  let sc = p.c_strides[0].x;
  let sa = p.a_strides[0].x;
  let sb = p.b_strides[0].x;
  for (var i = i0; i < min(i0 + 4u, p.n); i++) {
    out[i] = select(b[p.b_offset + i * sb], a[p.a_offset + i * sa], cond[p.c_offset + i * sc] != 0u);
  }
}
