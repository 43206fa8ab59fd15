// conv2d.wgsl: 2-D convolution (NCHW, f32) and its two gradients, as implicit GEMMs.
//
// Bindings (group 0): a, b (read, strided 4-D views: a transposed or sliced input needs no
// copy), out (read_write, contiguous), p (uniform Params). No preamble. Overrides: WG (256,
// set by the backend), DRIVER (the layout below) and TN (the tiled layout's width).
//
// Scheme: each entry point is one matrix product C[m, n] = sum_k A[m, k] B[k, n] whose
// operands are never built: A and B elements are read straight from the tensors by index
// arithmetic (implicit GEMM, no im2col buffer). Per group g (a grid coordinate):
//   forward          M = N*OH*OW (n, oh, ow)   N = Cout/g (oc)   K = Cin/g*KH*KW (ic, kh, kw)
//                    A = x at the tap (zero outside x), B = w, C -> y
//   backward_input   M = N*H*W (n, ih, iw)     N = Cin/g (ic)    K = Cout/g*KH*KW (oc, kh, kw)
//                    A = dy at the output that tap (kh, kw) of (ih, iw) belongs to, zero if
//                    none (off the stride grid or outside dy); B = w; C -> dx. So each dx
//                    element sums over the dy/w pairs that touch it: a gather, no atomics.
//                    It is also convTranspose2d's forward. (With stride s, all but 1 in s*s
//                    of those terms are zero: a per-phase split would skip them.)
//   backward_weight  M = Cout/g (oc)           N = Cin/g*KH*KW   K = N*OH*OW (n, oh, ow)
//                    A = dy, B = x at the tap, C -> dw: a reduction over N*OH*OW per weight.
// Why GEMMs: each output is a long dot product whose operands are reused across outputs (an
// x tap by every output channel, a weight by every output pixel), which workgroup-memory
// tiles exploit; one set of layouts then serves all three kernels, and only the index maps
// (a_row/load_a, b_col/load_b, out_row/out_col) differ per kernel.
//
// Layouts (DRIVER; the host picks one per product from its M, N and K):
//   0 tiled: as shaders/matmul.wgsl. 256 invocations, each owning a 4 x 4 register block of C
//     (four vec4 rows); the tile is TM x TN = 64 x 64, or 256 x 16 for narrow products
//     (grouped convolutions). K is walked in slabs of TK (32 or 8; TM * TK = 2048, so the A
//     slab is always 8 KiB): the workgroup stages A (TM x TK) and B (TK x TN) in workgroup
//     memory, zero-filled past the K range, then multiply-adds from there. Each invocation
//     stages a fixed row of A and column of B (256 is a multiple of TM and TN), so their index
//     maps are decoded once. The layout for products with many rows and columns.
//   1 K-parallel: one 4 x 4 block of C per workgroup; its 256 invocations take every 256th
//     term of the K range, and their partial blocks are summed in workgroup memory. For small
//     outputs over long reductions, which tiles would mostly pad: the weight gradients of
//     early layers (dw is small, N*OH*OW long) and of depthwise convolutions, 1x1 outputs.
//   2 direct: one column and 4 rows of C per invocation, K walked from global memory. For
//     products a few columns wide (depthwise convolutions, the input gradient of one input
//     channel), which 16-wide tiles would pad 4 to 16 times over.
// Grid: x * y (backend.grid) = row blocks of M, times groups, times splits; z = column blocks.
// The K range of a workgroup: [k_begin + split * k_chunk, min(that + k_chunk, k_end)). The
// host keeps each invocation's loops short (llvmpipe silently ends an invocation's loops after
// 65535 iterations in all) and spreads long reductions over workgroups: `splits` workgroups
// per block write partial sums (out + split * split_stride) that the host then adds up; where
// those would not fit in memory, K slabs run as successive dispatches accumulating into out.

struct Params {
  c_in: u32,      // channels of x (and dx)
  in_h: u32,
  in_w: u32,
  c_out: u32,     // channels of y (and dy)
  out_h: u32,
  out_w: u32,
  groups: u32,
  k_h: u32,
  k_w: u32,
  cin_g: u32,     // c_in / groups
  cout_g: u32,    // c_out / groups
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,     // top / left padding (bottom / right follow from out_h / out_w)
  pad_w: u32,
  dil_h: u32,
  dil_w: u32,
  gemm_m: u32,
  gemm_n: u32,
  k_begin: u32,
  k_end: u32,
  k_chunk: u32,
  splits: u32,
  tiles_m: u32,
  accumulate: u32, // 1: out += C (a later K slab); 0: out = C
  split_stride: u32, // split s writes its partial sums at out + s * split_stride
  a_offset: u32,
  b_offset: u32,
  a_strides: vec4<u32>,
  b_strides: vec4<u32>,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 256u;
// The tiled layout: TN columns by TM rows, slabs TK deep.
override TN: u32 = 64u;
override TM: u32 = WG * 4u / (TN / 4u);
override TK: u32 = 2048u / TM;
// Which layout (see the header): 0 tiled, 1 K-parallel, 2 direct.
override DRIVER: u32 = 0u;

const FORWARD: u32 = 0u;
const BACKWARD_INPUT: u32 = 1u;
const BACKWARD_WEIGHT: u32 = 2u;

// Element (kk, m) of the A slab is tile_a[kk * TM / 4 + m / 4][m % 4]; (kk, n) of B likewise.
var<workgroup> tile_a: array<vec4<f32>, 512>;
var<workgroup> tile_b: array<vec4<f32>, 512>;

// A row of A or a column of B, decoded once: a base offset and a spatial position.
struct Site {
  base: u32,
  y: i32,
  x: i32,
}

fn tap_ok(y: i32, x: i32, h: u32, w: u32) -> bool {
  return u32(y) < h && u32(x) < w; // negative coordinates wrap to huge u32s
}

// (c, kh, kw) of a K index over channels x kernel taps.
fn split_ck(k: u32) -> vec3<u32> {
  let khw = p.k_h * p.k_w;
  let r = k % khw;
  return vec3<u32>(k / khw, r / p.k_w, r % p.k_w);
}

// (n, oh, ow) of an index over N x OH x OW.
fn split_nhw(k: u32) -> vec3<u32> {
  let hw = p.out_h * p.out_w;
  let r = k % hw;
  return vec3<u32>(k / hw, r / p.out_w, r % p.out_w);
}

// K indices, decomposed: (c, kh, kw) for forward and backward_input, (n, oh, ow) for
// backward_weight. Loads take them decomposed, and the loops step them with `advance`, so
// the index maps cost no integer division per element: a division by a non-constant is
// dozens of instructions on GPUs (on llvmpipe it made no measurable difference).
fn decompose(mode: u32, k: u32) -> vec3<u32> {
  if (mode == BACKWARD_WEIGHT) { return split_nhw(k); }
  return split_ck(k);
}

// The decomposition of k + step, given q of k and d = decompose(step): a mixed-radix add
// (each digit of d is below its radix, so one carry per digit is enough).
fn advance(mode: u32, q: vec3<u32>, d: vec3<u32>) -> vec3<u32> {
  var r1 = p.k_h;
  var r2 = p.k_w;
  if (mode == BACKWARD_WEIGHT) { r1 = p.out_h; r2 = p.out_w; }
  var z = q.z + d.z;
  let cz = z >= r2;
  z -= select(0u, r2, cz);
  var y = q.y + d.y + select(0u, 1u, cz);
  let cy = y >= r1;
  y -= select(0u, r1, cy);
  return vec3<u32>(q.x + d.x + select(0u, 1u, cy), y, z);
}

fn a_row(mode: u32, m: u32, grp: u32) -> Site {
  let s = p.a_strides;
  switch mode {
    case FORWARD: {
      // a = x; m = (n, oh, ow); the tap's top-left corner.
      let q = split_nhw(m);
      return Site(p.a_offset + q.x * s.x + grp * p.cin_g * s.y,
                  i32(q.y * p.stride_h) - i32(p.pad_h), i32(q.z * p.stride_w) - i32(p.pad_w));
    }
    case BACKWARD_INPUT: {
      // a = dy; m = (n, ih, iw) of dx.
      let hw = p.in_h * p.in_w;
      let r = m % hw;
      return Site(p.a_offset + (m / hw) * s.x + grp * p.cout_g * s.y,
                  i32(r / p.in_w + p.pad_h), i32(r % p.in_w + p.pad_w));
    }
    default: {
      // a = dy; m = oc within the group.
      return Site(p.a_offset + (grp * p.cout_g + m) * s.y, 0, 0);
    }
  }
}

fn load_a(mode: u32, site: Site, q: vec3<u32>) -> f32 {
  let s = p.a_strides;
  switch mode {
    case FORWARD: {
      let ih = site.y + i32(q.y * p.dil_h);
      let iw = site.x + i32(q.z * p.dil_w);
      if (!tap_ok(ih, iw, p.in_h, p.in_w)) { return 0.0; }
      return a[site.base + q.x * s.y + u32(ih) * s.z + u32(iw) * s.w];
    }
    case BACKWARD_INPUT: {
      // The output (oh, ow) whose tap (kh, kw) reads (ih, iw): oh * stride = ih + pad - kh * dil.
      let th = site.y - i32(q.y * p.dil_h);
      let tw = site.x - i32(q.z * p.dil_w);
      if (th < 0 || tw < 0) { return 0.0; }
      var oh = u32(th);
      var ow = u32(tw);
      if (p.stride_h != 1u) {
        if (oh % p.stride_h != 0u) { return 0.0; }
        oh = oh / p.stride_h;
      }
      if (p.stride_w != 1u) {
        if (ow % p.stride_w != 0u) { return 0.0; }
        ow = ow / p.stride_w;
      }
      if (oh >= p.out_h || ow >= p.out_w) { return 0.0; }
      return a[site.base + q.x * s.y + oh * s.z + ow * s.w];
    }
    default: {
      return a[site.base + q.x * s.x + q.y * s.z + q.z * s.w];
    }
  }
}

fn b_col(mode: u32, n: u32, grp: u32) -> Site {
  let s = p.b_strides;
  switch mode {
    case FORWARD: {
      // b = w; n = oc within the group.
      return Site(p.b_offset + (grp * p.cout_g + n) * s.x, 0, 0);
    }
    case BACKWARD_INPUT: {
      // b = w; n = ic within the group; K walks the group's output channels.
      return Site(p.b_offset + n * s.y + grp * p.cout_g * s.x, 0, 0);
    }
    default: {
      // b = x; n = (ic, kh, kw); the tap's offset from an output position's corner.
      let q = split_ck(n);
      return Site(p.b_offset + (grp * p.cin_g + q.x) * s.y,
                  i32(q.y * p.dil_h) - i32(p.pad_h), i32(q.z * p.dil_w) - i32(p.pad_w));
    }
  }
}

fn load_b(mode: u32, site: Site, q: vec3<u32>) -> f32 {
  let s = p.b_strides;
  switch mode {
    case FORWARD: {
      return b[site.base + q.x * s.y + q.y * s.z + q.z * s.w];
    }
    case BACKWARD_INPUT: {
      return b[site.base + q.x * s.x + q.y * s.z + q.z * s.w];
    }
    default: {
      let ih = i32(q.y * p.stride_h) + site.y;
      let iw = i32(q.z * p.stride_w) + site.x;
      if (!tap_ok(ih, iw, p.in_h, p.in_w)) { return 0.0; }
      return b[site.base + q.x * s.x + u32(ih) * s.z + u32(iw) * s.w];
    }
  }
}

// Offset in out of C's row m (the column's part is added by out_col).
fn out_row(mode: u32, m: u32, grp: u32) -> u32 {
  switch mode {
    case FORWARD: {
      let q = split_nhw(m);
      return q.x * p.c_out * p.out_h * p.out_w + q.y * p.out_w + q.z;
    }
    case BACKWARD_INPUT: {
      let hw = p.in_h * p.in_w;
      return (m / hw) * p.c_in * hw + m % hw;
    }
    default: {
      return (grp * p.cout_g + m) * p.gemm_n;
    }
  }
}

fn out_col(mode: u32, n: u32, grp: u32) -> u32 {
  switch mode {
    case FORWARD: { return (grp * p.cout_g + n) * p.out_h * p.out_w; }
    case BACKWARD_INPUT: { return (grp * p.cin_g + n) * p.in_h * p.in_w; }
    default: { return n; }
  }
}

fn store(o: u32, v: f32) {
  if (p.accumulate != 0u) { out[o] = out[o] + v; } else { out[o] = v; }
}

fn store_row(mode: u32, grp: u32, base: u32, r: u32, c0: u32, v: vec4<f32>) {
  if (r >= p.gemm_m) { return; }
  let o = base + out_row(mode, r, grp);
  if (c0 < p.gemm_n) { store(o + out_col(mode, c0, grp), v.x); }
  if (c0 + 1u < p.gemm_n) { store(o + out_col(mode, c0 + 1u, grp), v.y); }
  if (c0 + 2u < p.gemm_n) { store(o + out_col(mode, c0 + 2u, grp), v.z); }
  if (c0 + 3u < p.gemm_n) { store(o + out_col(mode, c0 + 3u, grp), v.w); }
}

fn gemm_tiled(mode: u32, wid: vec3<u32>, nwg: vec3<u32>, li: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tiles_m * p.groups * p.splits) { return; } // the grid's overshoot (uniform per workgroup)
  let grp = (t / p.tiles_m) % p.groups;
  let split = t / (p.tiles_m * p.groups);
  let row0 = (t % p.tiles_m) * TM;
  let col0 = wid.z * TN;
  let k_lo = p.k_begin + split * p.k_chunk;
  let k_hi = min(k_lo + p.k_chunk, p.k_end);

  // What this invocation stages: row sm of A at slab depths sk_a + e * WG / TM, and column
  // sn of B at depths sk_b + e * WG / TN.
  let sm = li % TM;
  let sk_a = li / TM;
  let sn = li % TN;
  let sk_b = li / TN;
  let m_ok = row0 + sm < p.gemm_m;
  let n_ok = col0 + sn < p.gemm_n;
  let arow = a_row(mode, select(0u, row0 + sm, m_ok), grp);
  let bcol = b_col(mode, select(0u, col0 + sn, n_ok), grp);

  let tx = li % (TN / 4u);
  let ty = li / (TN / 4u);
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  // The decomposed K index of each invocation's first staged element, and the steps.
  var qa0 = decompose(mode, k_lo + sk_a);
  var qb0 = decompose(mode, k_lo + sk_b);
  let step_a = decompose(mode, WG / TM);
  let step_b = decompose(mode, WG / TN);
  let step_k = decompose(mode, TK);
  for (var k0 = k_lo; k0 < k_hi; k0 += TK) {
    var qa = qa0;
    for (var e = 0u; e < TK * TM / WG; e++) {
      let kk = sk_a + e * (WG / TM);
      var v = 0.0;
      if (m_ok && k0 + kk < k_hi) { v = load_a(mode, arow, qa); }
      tile_a[kk * (TM / 4u) + sm / 4u][sm % 4u] = v;
      qa = advance(mode, qa, step_a);
    }
    var qb = qb0;
    for (var e = 0u; e < (TK * TN + WG - 1u) / WG; e++) {
      let kk = sk_b + e * (WG / TN);
      if (kk < TK) {
        var v = 0.0;
        if (n_ok && k0 + kk < k_hi) { v = load_b(mode, bcol, qb); }
        tile_b[kk * (TN / 4u) + sn / 4u][sn % 4u] = v;
      }
      qb = advance(mode, qb, step_b);
    }
    qa0 = advance(mode, qa0, step_k);
    qb0 = advance(mode, qb0, step_k);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a4 = tile_a[kk * (TM / 4u) + ty];
      let b4 = tile_b[kk * (TN / 4u) + tx];
      acc0 += a4.x * b4;
      acc1 += a4.y * b4;
      acc2 += a4.z * b4;
      acc3 += a4.w * b4;
    }
    workgroupBarrier();
  }
  let base = split * p.split_stride;
  let r0 = row0 + ty * 4u;
  let c0 = col0 + tx * 4u;
  store_row(mode, grp, base, r0, c0, acc0);
  store_row(mode, grp, base, r0 + 1u, c0, acc1);
  store_row(mode, grp, base, r0 + 2u, c0, acc2);
  store_row(mode, grp, base, r0 + 3u, c0, acc3);
}

fn gemm_k_parallel(mode: u32, wid: vec3<u32>, nwg: vec3<u32>, li: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tiles_m * p.groups * p.splits) { return; }
  let grp = (t / p.tiles_m) % p.groups;
  let split = t / (p.tiles_m * p.groups);
  let row0 = (t % p.tiles_m) * 4u;
  let col0 = wid.z * 4u;
  let k_lo = p.k_begin + split * p.k_chunk;
  let k_hi = min(k_lo + p.k_chunk, p.k_end);
  // Rows and columns past M and N are decoded as row / column 0: their sums are never stored.
  let last_m = p.gemm_m - 1u;
  let last_n = p.gemm_n - 1u;
  let r0 = a_row(mode, row0, grp);
  let r1 = a_row(mode, min(row0 + 1u, last_m), grp);
  let r2 = a_row(mode, min(row0 + 2u, last_m), grp);
  let r3 = a_row(mode, min(row0 + 3u, last_m), grp);
  let c0 = b_col(mode, col0, grp);
  let c1 = b_col(mode, min(col0 + 1u, last_n), grp);
  let c2 = b_col(mode, min(col0 + 2u, last_n), grp);
  let c3 = b_col(mode, min(col0 + 3u, last_n), grp);
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  var q = decompose(mode, k_lo + li);
  let step = decompose(mode, WG);
  for (var k = k_lo + li; k < k_hi; k += WG) {
    let bv = vec4<f32>(load_b(mode, c0, q), load_b(mode, c1, q), load_b(mode, c2, q), load_b(mode, c3, q));
    acc0 += load_a(mode, r0, q) * bv;
    acc1 += load_a(mode, r1, q) * bv;
    acc2 += load_a(mode, r2, q) * bv;
    acc3 += load_a(mode, r3, q) * bv;
    q = advance(mode, q, step);
  }
  // Sum the WG partial blocks: rows 0-1 in tile_a, rows 2-3 in tile_b, halving each step.
  tile_a[li * 2u] = acc0;
  tile_a[li * 2u + 1u] = acc1;
  tile_b[li * 2u] = acc2;
  tile_b[li * 2u + 1u] = acc3;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s) {
      let o = (li + s) * 2u;
      tile_a[li * 2u] += tile_a[o];
      tile_a[li * 2u + 1u] += tile_a[o + 1u];
      tile_b[li * 2u] += tile_b[o];
      tile_b[li * 2u + 1u] += tile_b[o + 1u];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    let base = split * p.split_stride;
    store_row(mode, grp, base, row0, col0, tile_a[0]);
    store_row(mode, grp, base, row0 + 1u, col0, tile_a[1]);
    store_row(mode, grp, base, row0 + 2u, col0, tile_b[0]);
    store_row(mode, grp, base, row0 + 3u, col0, tile_b[1]);
  }
}

// One column, 4 rows per invocation (WG * 4 rows per workgroup), the K range walked straight
// from global memory: no tiles to pad, for products a few columns wide with short K.
fn gemm_direct(mode: u32, wid: vec3<u32>, nwg: vec3<u32>, li: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tiles_m * p.groups * p.splits) { return; }
  let grp = (t / p.tiles_m) % p.groups;
  let split = t / (p.tiles_m * p.groups);
  let row0 = (t % p.tiles_m) * WG * 4u + li * 4u;
  if (row0 >= p.gemm_m) { return; } // no barriers below
  let col = wid.z;
  let k_lo = p.k_begin + split * p.k_chunk;
  let k_hi = min(k_lo + p.k_chunk, p.k_end);
  let last_m = p.gemm_m - 1u;
  let r0 = a_row(mode, row0, grp);
  let r1 = a_row(mode, min(row0 + 1u, last_m), grp);
  let r2 = a_row(mode, min(row0 + 2u, last_m), grp);
  let r3 = a_row(mode, min(row0 + 3u, last_m), grp);
  let c = b_col(mode, col, grp);
  var acc = vec4<f32>();
  var q = decompose(mode, k_lo);
  let one = decompose(mode, 1u);
  for (var k = k_lo; k < k_hi; k++) {
    acc += vec4<f32>(load_a(mode, r0, q), load_a(mode, r1, q), load_a(mode, r2, q), load_a(mode, r3, q)) * load_b(mode, c, q);
    q = advance(mode, q, one);
  }
  let base = split * p.split_stride + out_col(mode, col, grp);
  store(base + out_row(mode, row0, grp), acc.x);
  if (row0 + 1u < p.gemm_m) { store(base + out_row(mode, row0 + 1u, grp), acc.y); }
  if (row0 + 2u < p.gemm_m) { store(base + out_row(mode, row0 + 2u, grp), acc.z); }
  if (row0 + 3u < p.gemm_m) { store(base + out_row(mode, row0 + 3u, grp), acc.w); }
}

fn gemm(mode: u32, wid: vec3<u32>, nwg: vec3<u32>, li: u32) {
  switch DRIVER {
    case 1u: { gemm_k_parallel(mode, wid, nwg, li); }
    case 2u: { gemm_direct(mode, wid, nwg, li); }
    default: { gemm_tiled(mode, wid, nwg, li); }
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
  gemm(FORWARD, wid, nwg, li);
}

@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  gemm(BACKWARD_INPUT, wid, nwg, li);
}

@compute @workgroup_size(WG)
fn backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  gemm(BACKWARD_WEIGHT, wid, nwg, li);
}
