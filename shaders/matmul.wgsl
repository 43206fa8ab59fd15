// matmul.wgsl: out[z, m, n] = sum_k a[z, m, k] * b[z, k, n], batched, any strides.
//
// Bindings (group 0): a, b (read, strided: transposed views need no copy), out (read_write,
// contiguous [batch, M, N]), p (uniform Params). Preamble: alias C (f32 | i32).
//
// Tiling: a workgroup of 16 x 16 invocations computes a 64 x 64 tile of out; each invocation
// owns a 4 x 4 register block (rows ty*4.., cols tx*4..). K is walked in steps of 16: the
// workgroup stages a 64 x 16 slab of a and a 16 x 64 slab of b in workgroup memory (8 KiB for
// f32), zero-filled past the edges, so M, N and K need not be multiples of anything.
// Grid: (ceil(N / 64), ceil(M / 64), batches); z beyond 65535 batches is split by the host
// (z_base). Batch coordinates come from batch_shape and per-operand batch strides.
// accumulate != 0 adds the product into out instead of overwriting it: the host splits a long
// K into slabs, one dispatch each (llvmpipe silently stops an invocation's loops after 65535
// iterations in all, which a single K loop reaches near K = 58k).

const TILE_M: u32 = 64u;
const TILE_N: u32 = 64u;
const TILE_K: u32 = 16u;

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
  batch_shape: array<vec4<u32>, 2>,
  a_batch_strides: array<vec4<u32>, 2>,
  b_batch_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> a: array<C>;
@group(0) @binding(1) var<storage, read> b: array<C>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> tile_a: array<C, 1024>; // [TILE_K][TILE_M]
var<workgroup> tile_b: array<C, 1024>; // [TILE_K][TILE_N]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let z = wid.z + p.z_base;
  // Batch offsets of both operands.
  var rem = z;
  var a_base = p.a_offset;
  var b_base = p.b_offset;
  for (var d = i32(p.batch_rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let size = p.batch_shape[k / 4u][k % 4u];
    let c = rem % size;
    rem = rem / size;
    a_base += c * p.a_batch_strides[k / 4u][k % 4u];
    b_base += c * p.b_batch_strides[k / 4u][k % 4u];
  }
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  var acc: array<array<C, 4>, 4>;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { acc[i][j] = C(0); }
  }
  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    // 256 invocations stage 1024 elements of each slab, 4 apiece.
    for (var e = 0u; e < 4u; e++) {
      let t = li + e * 256u;
      // a slab: t -> (kk, mm) with mm fastest, so tile_a[kk * 64 + mm] = a[row0 + mm, k0 + kk].
      let kk = t / TILE_M;
      let mm = t % TILE_M;
      let ar = row0 + mm;
      let ak = k0 + kk;
      var av = C(0);
      if (ar < p.M && ak < p.K) { av = a[a_base + ar * p.a_row + ak * p.a_col]; }
      tile_a[t] = av;
      // b slab: t -> (kk, nn) with nn fastest.
      let bk = k0 + t / TILE_N;
      let bn = col0 + t % TILE_N;
      var bv = C(0);
      if (bk < p.K && bn < p.N) { bv = b[b_base + bk * p.b_row + bn * p.b_col]; }
      tile_b[t] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var ra: array<C, 4>;
      var rb: array<C, 4>;
      for (var i = 0u; i < 4u; i++) {
        ra[i] = tile_a[kk * TILE_M + lid.y * 4u + i];
        rb[i] = tile_b[kk * TILE_N + lid.x * 4u + i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += ra[i] * rb[j]; }
      }
    }
    workgroupBarrier();
  }
  let out_base = z * p.M * p.N;
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c < p.N) {
        let o = out_base + r * p.N + c;
        if (p.accumulate != 0u) { out[o] = out[o] + acc[i][j]; } else { out[o] = acc[i][j]; }
      }
    }
  }
}
