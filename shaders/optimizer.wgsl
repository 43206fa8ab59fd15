// optimizer.wgsl: one optimizer step for one parameter, fused: every element's gradient
// transform, state update and parameter update in one invocation (no chain of elementwise
// launches, no temporaries).
//
// Bindings (group 0): grad (read, contiguous), param (read_write, contiguous, updated in
// place), s0, s1, s2 (read_write: the optimizer's per-element state; an unused one is bound to
// a small dummy buffer of its own), p (uniform Params). Entry points:
//   sgd      s0 = momentum buffer
//   adam     s0 = exp_avg (m), s1 = exp_avg_sq (v), s2 = max_exp_avg_sq (amsgrad)
//   rmsprop  s0 = square_avg, s1 = grad_avg (centered), s2 = momentum buffer
//   adagrad  s0 = state_sum (starts at initial_accumulator on the first step); lr is the
//            decayed clr = lr / (1 + (t - 1) lr_decay), computed on the host
//   adadelta s0 = square_avg, s1 = acc_delta
// The formulas are PyTorch's (torch.optim, foreach=False); bias corrections 1 - beta^t are
// computed on the host in double precision and passed in. One element per invocation; the
// grid goes 2-D past 65535 workgroups.

struct Params {
  n: u32,
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
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> s0: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>;
@group(0) @binding(4) var<storage, read_write> s2: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn gradient(i: u32) -> f32 {
  return select(grad[i], -grad[i], p.maximize != 0u);
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var g = gradient(i);
  let w = param[i];
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  if (p.use_momentum != 0u) {
    var b = g;
    if (p.first == 0u) { b = p.momentum * s0[i] + (1.0 - p.dampening) * g; }
    s0[i] = b;
    g = select(b, g + p.momentum * b, p.nesterov != 0u);
  }
  param[i] = w - p.lr * g;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var g = gradient(i);
  var w = param[i];
  if (p.weight_decay != 0.0) {
    if (p.decoupled != 0u) { w = w * (1.0 - p.lr * p.weight_decay); } else { g = g + p.weight_decay * w; }
  }
  let m = p.beta1 * s0[i] + (1.0 - p.beta1) * g;
  let v = p.beta2 * s1[i] + (1.0 - p.beta2) * g * g;
  s0[i] = m;
  s1[i] = v;
  var vhat = v;
  if (p.amsgrad != 0u) {
    vhat = max(s2[i], v);
    s2[i] = vhat;
  }
  let denom = sqrt(vhat) / p.sqrt_bias_correction2 + p.eps;
  param[i] = w - (p.lr / p.bias_correction1) * m / denom;
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var g = gradient(i);
  let w = param[i];
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let sq = p.alpha * s0[i] + (1.0 - p.alpha) * g * g;
  s0[i] = sq;
  var avg = sq;
  if (p.centered != 0u) {
    let ga = p.alpha * s1[i] + (1.0 - p.alpha) * g;
    s1[i] = ga;
    avg = sq - ga * ga;
  }
  let denom = sqrt(avg) + p.eps;
  if (p.use_momentum != 0u) {
    let b = p.momentum * s2[i] + g / denom;
    s2[i] = b;
    param[i] = w - p.lr * b;
  } else {
    param[i] = w - p.lr * g / denom;
  }
}

@compute @workgroup_size(WG)
fn adagrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var g = gradient(i);
  let w = param[i];
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let prev = select(s0[i], p.initial_accumulator, p.first != 0u);
  let sum = prev + g * g;
  s0[i] = sum;
  param[i] = w - p.lr * g / (sqrt(sum) + p.eps);
}

@compute @workgroup_size(WG)
fn adadelta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  var g = gradient(i);
  let w = param[i];
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * w; }
  let v = p.rho * s0[i] + (1.0 - p.rho) * g * g;
  s0[i] = v;
  let u = s1[i];
  let delta = sqrt(u + p.eps) / sqrt(v + p.eps) * g;
  s1[i] = p.rho * u + (1.0 - p.rho) * delta * delta;
  param[i] = w - p.lr * delta;
}
