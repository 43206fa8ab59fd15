// optimizer.wgsl: the optimizer steps' per-element updates, fused: every element's gradient
// transform, state update and parameter update in one invocation (no chain of elementwise
// launches, no temporaries), for several parameters in one dispatch.
//
// This file is the updates and the uniform; the binder (kernels/optim/webgpu.ts) writes the
// rest into the preamble for each dispatch: for parameter k of the dispatch (up to 16, as many
// as the adapter's storage bindings allow) the bindings gk (read: the gradient), wk (read_write:
// the parameter, updated in place) and ak, bk, ck (read_write: the optimizer's state, only those
// the step uses), and the entry `main`, where invocation t updates element t - ends[k - 1] of
// the parameter k whose range [ends[k - 1], ends[k]) holds t. All are contiguous float32.
//
// The states, by kind (a, b, c):
//   sgd      a = momentum buffer (read unless the buffer starts now: p.first)
//   adam     a = exp_avg (m), b = exp_avg_sq (v), c = max_exp_avg_sq (amsgrad)
//   rmsprop  a = square_avg, b = grad_avg (centered), c = momentum buffer
//   adagrad  a = state_sum (starts at initial_accumulator on the first step); lr is the
//            decayed clr = lr / (1 + (t - 1) lr_decay), computed on the host
//   adadelta a = square_avg, b = acc_delta
// An unused state comes in as 0.0 and its result is not stored. The formulas are PyTorch's
// (torch.optim, foreach=False); bias corrections 1 - beta^t are computed on the host in
// double precision and passed in. The grid goes 2-D past 65535 workgroups.

struct Params {
  n: u32,           // elements in all (the last of ends)
  nesterov: u32,
  amsgrad: u32,
  decoupled: u32,   // AdamW: weight decay multiplies the parameter, outside the gradient
  centered: u32,
  maximize: u32,
  first: u32,       // the state starts now: momentum buffers take the gradient itself
  use_momentum: u32,
  lr: f32,
  weight_decay: f32,
  momentum: f32,
  dampening: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  alpha: f32,
  bias_correction1: f32,
  sqrt_bias_correction2: f32,
  rho: f32,         // Adadelta
  initial_accumulator: f32,  // Adagrad
  ends: array<vec4<u32>, 4>, // cumulative element counts of the dispatch's parameters
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn gradient(g: f32) -> f32 {
  return select(g, -g, p.maximize != 0u);
}

// The parameter's new value and the new states (a, b, c).
struct Update {
  w: f32,
  a: f32,
  b: f32,
  c: f32,
}

fn sgd_update(g0: f32, w: f32, buf: f32) -> Update {
  var g = gradient(g0);
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  var b = 0.0;
  if (p.use_momentum != 0u) {
    b = g;
    if (p.first == 0u) { b = p.momentum * buf + (1.0 - p.dampening) * g; }
    g = select(b, g + p.momentum * b, p.nesterov != 0u);
  }
  return Update(w - p.lr * g, b, 0.0, 0.0);
}

fn adam_update(g0: f32, w0: f32, m0: f32, v0: f32, vmax: f32) -> Update {
  var g = gradient(g0);
  var w = w0;
  if (p.weight_decay != 0.0) {
    if (p.decoupled != 0u) { w = w * (1.0 - p.lr * p.weight_decay); } else { g = g + p.weight_decay * w; }
  }
  let m = p.beta1 * m0 + (1.0 - p.beta1) * g;
  let v = p.beta2 * v0 + (1.0 - p.beta2) * g * g;
  var vhat = v;
  if (p.amsgrad != 0u) { vhat = max(vmax, v); }
  let denom = sqrt(vhat) / p.sqrt_bias_correction2 + p.eps;
  return Update(w - (p.lr / p.bias_correction1) * m / denom, m, v, vhat);
}

fn rmsprop_update(g0: f32, w: f32, sq0: f32, ga0: f32, buf: f32) -> Update {
  var g = gradient(g0);
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let sq = p.alpha * sq0 + (1.0 - p.alpha) * g * g;
  var avg = sq;
  var ga = 0.0;
  if (p.centered != 0u) {
    ga = p.alpha * ga0 + (1.0 - p.alpha) * g;
    avg = sq - ga * ga;
  }
  let denom = sqrt(avg) + p.eps;
  if (p.use_momentum != 0u) {
    let b = p.momentum * buf + g / denom;
    return Update(w - p.lr * b, sq, ga, b);
  }
  return Update(w - p.lr * g / denom, sq, ga, 0.0);
}

fn adagrad_update(g0: f32, w: f32, sum0: f32) -> Update {
  var g = gradient(g0);
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let prev = select(sum0, p.initial_accumulator, p.first != 0u);
  let sum = prev + g * g;
  return Update(w - p.lr * g / (sqrt(sum) + p.eps), sum, 0.0, 0.0);
}

fn adadelta_update(g0: f32, w: f32, v0: f32, u: f32) -> Update {
  var g = gradient(g0);
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let v = p.rho * v0 + (1.0 - p.rho) * g * g;
  let delta = sqrt(u + p.eps) / sqrt(v + p.eps) * g;
  return Update(w - p.lr * delta, v, p.rho * u + (1.0 - p.rho) * delta * delta, 0.0);
}
