// matmul.wgsl: out[z, m, n] = sum_k a[z, m, k] * b[z, k, n], batched, any strides.
//
// Bindings (group 0): a, b (read, strided: transposed views need no copy), out (read_write,
// contiguous [batch, M, N] from out_offset), p (uniform Params). Preamble: alias C (f32 | i32),
// and per operand its storage type (CA, CB) and loader, load_a(i) / load_b(i) -> C
// (src/kernels/webgpu/halfLoads.ts: a float16 operand is read in place).
//
// Tiling (override constants, set by the plan in src/kernels/matmul/webgpu.ts): a workgroup
// of (TILE / 4) x (TILE / 4) invocations computes a TILE x TILE tile of out (TILE 64 or 32);
// each invocation owns a 4 x 4 register block (rows ty*4.., cols tx*4..), held as four vec4 rows.
// K is walked in steps of TILE_K: the workgroup stages a TILE x TILE_K slab of a and a TILE_K x TILE slab of b in workgroup memory
// (16 KiB for f32 at 64 x 32), zero-filled past the edges, so M, N and K need not be multiples of anything.
// Grid: (ceil(N / TILE), ceil(M / TILE), batches); z beyond 65535 batches is split by the host
// (z_base). Batch coordinates come from batch_shape and per-operand batch strides.
// accumulate != 0 adds the product into out instead of overwriting it: the host splits a long
// K into slabs, one dispatch each (llvmpipe silently stops an invocation's loops after 65535
// iterations in all, which a single K loop reaches near K = 58k).
// Lib: shaders/lib/strided.wgsl (strided_offset2, for the batch dims; Dims, MAX_RANK), then
// shaders/lib/matmul_io.wgsl (Params, the bindings, store_row).

override TILE: u32 = 64u;
override TILE_K: u32 = 32u;
// Invocations along x and y: TILE / 4 (its own override: workgroup_size takes no expression here).
override LANES: u32 = 16u;
const MAX_SLAB: u32 = 512u; // vec4s in a slab at TILE 64, TILE_K 32: the largest plan

// Slabs as vec4s: element (kk, m) of a's slab is tile_a[kk * (TILE / 4) + m / 4][m % 4]; likewise b's.
// An invocation reads its 4 rows of a and 4 columns of b as one vec4 each, and updates its
// 4 x 4 block as four vec4 multiply-adds, which vectorizes well (llvmpipe) and keeps the
// inner loop free of nested loops (every loop iteration counts towards llvmpipe's cap).
var<workgroup> tile_a: array<vec4<C>, MAX_SLAB>; // [TILE_K][TILE / 4]
var<workgroup> tile_b: array<vec4<C>, MAX_SLAB>; // [TILE_K][TILE / 4]

@compute @workgroup_size(LANES, LANES, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let z = wid.z + p.z_base;
  // Batch offsets of both operands.
  let batch = strided_offset2(z, p.batch_rank, p.batch_shape, p.a_batch_strides, p.b_batch_strides);
  let a_base = p.a_offset + batch.x;
  let b_base = p.b_offset + batch.y;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let lanes = LANES;
  let invocations = lanes * lanes;
  var acc0 = vec4<C>();
  var acc1 = vec4<C>();
  var acc2 = vec4<C>();
  var acc3 = vec4<C>();
  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    // The invocations stage TILE * TILE_K elements of each slab, an equal share apiece; m (or n) is fastest.
    for (var e = 0u; e < TILE * TILE_K / invocations; e++) {
      let t = li + e * invocations;
      let kk = t / TILE;
      let mn = t % TILE;
      let ar = row0 + mn;
      let ak = k0 + kk;
      var av = C(0);
      if (ar < p.M && ak < p.K) { av = load_a(a_base + ar * p.a_row + ak * p.a_col); }
      tile_a[kk * lanes + mn / 4u][mn % 4u] = av;
      let bn = col0 + mn;
      var bv = C(0);
      if (ak < p.K && bn < p.N) { bv = load_b(b_base + ak * p.b_row + bn * p.b_col); }
      tile_b[kk * lanes + mn / 4u][mn % 4u] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let a4 = tile_a[kk * lanes + lid.y];
      let b4 = tile_b[kk * lanes + lid.x];
      acc0 += a4.x * b4;
      acc1 += a4.y * b4;
      acc2 += a4.z * b4;
      acc3 += a4.w * b4;
    }
    workgroupBarrier();
  }
  let out_base = p.out_offset + z * p.M * p.N;
  let r0 = row0 + lid.y * 4u;
  let c0 = col0 + lid.x * 4u;
  store_row(out_base, r0, c0, acc0);
  store_row(out_base, r0 + 1u, c0, acc1);
  store_row(out_base, r0 + 2u, c0, acc2);
  store_row(out_base, r0 + 3u, c0, acc3);
}
