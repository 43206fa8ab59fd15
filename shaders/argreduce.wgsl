// argreduce.wgsl: argmax / argmin over the trailing dims (first occurrence wins on ties).
//
// Bindings (group 0): x (read), out (read_write, i32 flat index within the reduced dims),
// p (uniform Params, same layout as reduce.wgsl).
// Preamble: alias C (value type), fn better(a: C, b: C) -> bool (strictly better: > or <, and
// NaN over any number), fn tie(a: C, b: C) -> bool (equal, or both NaN), fn worst() -> C.
// One workgroup per output; (value, index) pairs reduced in workgroup memory.
// As in reduce.wgsl, a row may be cut into n_chunks chunks of chunk_len elements: workgroup q
// then writes the best index (within the whole row) of chunk q % n_chunks of row q / n_chunks.
// Lib: shaders/lib/strided.wgsl (strided_offset; Dims, MAX_RANK).

struct Params {
  n_outer: u32,
  n_inner: u32,
  outer_rank: u32,
  inner_rank: u32,
  x_offset: u32,
  n_chunks: u32,
  chunk_len: u32,
  _pad2: u32,
  outer_shape: Dims,
  outer_strides: Dims,
  inner_shape: Dims,
  inner_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> best_val: array<C, WG>;
var<workgroup> best_idx: array<u32, WG>;

fn outer_offset(o: u32) -> u32 {
  return p.x_offset + strided_offset(o, p.outer_rank, p.outer_shape, p.outer_strides);
}

fn inner_offset(r: u32) -> u32 {
  return strided_offset(r, p.inner_rank, p.inner_shape, p.inner_strides);
}

// (va, ia) wins over (vb, ib) if its value is better, or equal with a smaller index.
fn wins(va: C, ia: u32, vb: C, ib: u32) -> bool {
  return better(va, vb) || (tie(va, vb) && ia < ib);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = wid.x + wid.y * nwg.x;
  let in_range = q < p.n_outer * p.n_chunks;
  var bv = worst();
  var bi = 0xffffffffu;
  if (in_range) {
    let base = outer_offset(q / p.n_chunks);
    let begin = (q % p.n_chunks) * p.chunk_len;
    let end = min(p.n_inner, begin + p.chunk_len);
    for (var r = begin + lid; r < end; r += WG) {
      let v = x[base + inner_offset(r)];
      if (bi == 0xffffffffu || wins(v, r, bv, bi)) { bv = v; bi = r; }
    }
  }
  best_val[lid] = bv;
  best_idx[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let j = lid + s;
      if (best_idx[j] != 0xffffffffu && (best_idx[lid] == 0xffffffffu || wins(best_val[j], best_idx[j], best_val[lid], best_idx[lid]))) {
        best_val[lid] = best_val[j];
        best_idx[lid] = best_idx[j];
      }
    }
    workgroupBarrier();
  }
  if (in_range && lid == 0u) { out[q] = i32(best_idx[0]); }
}
