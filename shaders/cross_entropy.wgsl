// cross_entropy.wgsl: cross-entropy with class indices (fused: per-sample loss and its gradient
// w.r.t. the logits in one pass), and the negative log-likelihood of log-probabilities.
//
// Bindings (group 0): x (read, strided f32 logits / log-probabilities), tgt (read, i32 targets,
// strided), weight (read, f32 class weights; unread when has_weight = 0), loss (read_write,
// one value per sample, contiguous), row_weight (read_write, the sample's class weight w[t],
// 0 when ignored, contiguous), grad (read_write, x's shape, contiguous, addressed through its
// own strides; a scratch buffer when unused), errors (read_write, atomic flags as in
// gather.wgsl), p (uniform Params). Preamble: GroupIds, group_max and group_sum3 (vec3<f32>),
// the workgroup reducers of src/kernels/webgpu/subgroups.ts (subgroups where the device has
// them); shaders/lib/math_f32.wgsl.
//
// Layout: the host takes the class axis out of x's shape (x_step, g_step: strides along it);
// the remaining dims, coalesced, number the samples in target's order. A target outside
// [0, n_classes) that is not ignore_index records (code 6, the target, n_classes) in `errors`
// (reported at the next read) and gives a loss, weight and gradient of 0.
//
// main: one workgroup of WG invocations per sample, three strided passes over its classes
//   (max; sum of exp(x - max) with the smoothing sums; the gradient). With label smoothing e,
//   C classes and weights w (all 1 without them), as in PyTorch:
//     loss = (1 - e) w[t] (lse - x[t]) + (e / C) sum_c w[c] (lse - x[c]),  lse = logsumexp(x)
//     dloss/dx[c] = softmax(x)[c] ((1 - e) w[t] + (e / C) sum_k w[k]) - (1 - e) w[t] [c == t] - (e / C) w[c]
//   Sums of w[c] (max - x[c]) rather than of w[c] x[c] avoid cancelling large logits.
//   llvmpipe ends an invocation's loops after 65535 iterations in all: the host refuses rows
//   with 3 * ceil(C / WG) beyond that.
// main_thread: main's work in one invocation per sample (see it below).
// nll: one invocation per sample: loss = -w[t] x[t] (no loop).
// Lib: shaders/lib/strided.wgsl (strided_offset3, for the samples; Dims, MAX_RANK).

struct Params {
  n_rows: u32,
  n_classes: u32,
  outer_rank: u32,
  x_offset: u32,
  x_step: u32,
  g_step: u32,
  t_offset: u32,
  w_offset: u32,
  w_step: u32,
  has_weight: u32,
  write_grad: u32,
  ignore_index: i32,
  smoothing: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  outer_shape: Dims,
  x_strides: Dims,
  t_strides: Dims,
  g_strides: Dims,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<i32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(7) var<uniform> p: Params;

// Offsets of sample r's first class in x and grad, and of its target.
fn bases(r: u32) -> vec3<u32> {
  return vec3<u32>(p.x_offset, p.t_offset, 0u) + strided_offset3(r, p.outer_rank, p.outer_shape, p.x_strides, p.t_strides, p.g_strides);
}

fn class_weight(c: u32) -> f32 {
  if (p.has_weight == 0u) { return 1.0; }
  return weight[p.w_offset + c * p.w_step];
}

// Checks a target: 1 = a class, 0 = ignore_index, -1 = out of range (flagged).
fn check_target(t: i32) -> i32 {
  if (t == p.ignore_index) { return 0; }
  if (t < 0 || u32(t) >= p.n_classes) {
    if (atomicCompareExchangeWeak(&errors[0], 0u, 6u).exchanged) {
      atomicStore(&errors[1], bitcast<u32>(t));
      atomicStore(&errors[2], p.n_classes);
    }
    return -1;
  }
  return 1;
}

// Sample q's loss and row weight from its max m and sums (sum of exp(x - m), sum of w (m - x),
// sum of w); state as check_target gives it (1: a class; else both are 0).
fn sample_loss(q: u32, bx: u32, state: i32, t: i32, m: f32, sums: vec3<f32>) {
  if (state != 1) {
    loss[q] = 0.0;
    row_weight[q] = 0.0;
    return;
  }
  let e = p.smoothing;
  let log_s = log(sums.x);
  let wt = class_weight(u32(t));
  let xt = x[bx + u32(t) * p.x_step];
  // Without smoothing its sum is left out: a -inf logit makes it inf, and 0 * inf is NaN.
  var smooth_term = 0.0;
  if (e > 0.0) { smooth_term = (e / f32(p.n_classes)) * (sums.y + sums.z * log_s); }
  loss[q] = (1.0 - e) * wt * ((m - xt) + log_s) + smooth_term;
  row_weight[q] = wt;
}

// The sample's gradient at classes first, first + step, ... (0 where it is not a class).
fn sample_grad(b: vec3<u32>, first: u32, step: u32, state: i32, t: i32, m: f32, sums: vec3<f32>) {
  let C = p.n_classes;
  if (state != 1) {
    for (var c = first; c < C; c += step) { grad[b.z + c * p.g_step] = 0.0; }
    return;
  }
  let e = p.smoothing;
  let cf = f32(C);
  let log_s = log(sums.x);
  let wt = class_weight(u32(t));
  let a = (1.0 - e) * wt + (e / cf) * sums.z;
  for (var c = first; c < C; c += step) {
    var g = exp((x[b.x + c * p.x_step] - m) - log_s) * a - (e / cf) * class_weight(c);
    if (c == u32(t)) { g -= (1.0 - e) * wt; }
    grad[b.z + c * p.g_step] = g;
  }
}

@compute @workgroup_size(WG)
fn main(ids: GroupIds) {
  let q = ids.wid.x + ids.wid.y * ids.nwg.x;
  let lid = ids.lid;
  // q is uniform over the workgroup: every invocation reaches the same barriers.
  let in_range = q < p.n_rows;
  var b = vec3<u32>(0u, 0u, 0u);
  if (in_range) { b = bases(q); }
  let C = p.n_classes;

  var m = -f32_inf();
  if (in_range) {
    for (var c = lid; c < C; c += WG) { m = max_c(m, x[b.x + c * p.x_step]); }
  }
  m = group_max(ids, m);

  // (sum of exp(x - m), sum of w (m - x), sum of w)
  var acc = vec3<f32>(0.0, 0.0, 0.0);
  if (in_range) {
    for (var c = lid; c < C; c += WG) {
      let v = x[b.x + c * p.x_step];
      let w = class_weight(c);
      acc += vec3<f32>(exp(v - m), w * (m - v), w);
    }
  }
  let sums = group_sum3(ids, acc);
  if (!in_range) { return; }

  let t = tgt[b.y];
  var state = 0;
  if (lid == 0u) {
    state = check_target(t); // flags a bad target once per sample
  } else if (t != p.ignore_index) {
    state = select(-1, 1, t >= 0 && u32(t) < C);
  }
  if (lid == 0u) { sample_loss(q, b.x, state, t, m, sums); }
  if (p.write_grad != 0u) { sample_grad(b, lid, WG, state, t, m, sums); }
}

// main_thread: the same, one invocation per sample (the host takes it on a CPU adapter for
// many samples, as softmax.wgsl's row_thread: llvmpipe runs a workgroup's invocations as SIMD
// lanes, and its barriers cost more than a row walked by one lane). The sums are sequential
// (another order of the additions than main's); the host keeps C, walked three times, under
// the loop cap.
@compute @workgroup_size(WG)
fn main_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.x + gid.y * nwg.x * WG;
  if (q >= p.n_rows) { return; }
  let b = bases(q);
  let C = p.n_classes;
  var m = -f32_inf();
  for (var c = 0u; c < C; c++) { m = max_c(m, x[b.x + c * p.x_step]); }
  var sums = vec3<f32>(0.0, 0.0, 0.0);
  for (var c = 0u; c < C; c++) {
    let v = x[b.x + c * p.x_step];
    let w = class_weight(c);
    sums += vec3<f32>(exp(v - m), w * (m - v), w);
  }
  let t = tgt[b.y];
  let state = check_target(t);
  sample_loss(q, b.x, state, t, m, sums);
  if (p.write_grad != 0u) { sample_grad(b, 0u, 1u, state, t, m, sums); }
}

@compute @workgroup_size(WG)
fn nll(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = gid.x + gid.y * nwg.x * WG;
  if (q >= p.n_rows) { return; }
  let b = bases(q);
  let t = tgt[b.y];
  if (check_target(t) != 1) {
    loss[q] = 0.0;
    row_weight[q] = 0.0;
    return;
  }
  let w = class_weight(u32(t));
  loss[q] = -w * x[b.x + u32(t) * p.x_step];
  row_weight[q] = w;
}
