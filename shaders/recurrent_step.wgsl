// recurrent_step.wgsl: one time step of an RNN (tanh or relu), LSTM or GRU cell: every gate's
// activation and the state update, fused (the matmuls before it are the matmul family's).
//
// Bindings (group 0): xg (read: x W_ih^T + b_ih, [B, G*H] from p.xg_off), hg (read: h W_hh^T,
// [B, G*H] from p.hg_off), bias (read: b_hh [G*H] when p.has_bias; a scratch buffer
// otherwise), hprev (read: [B, H] from p.hp_off), cprev (read: lstm's [B, H] from p.cp_off;
// scratch otherwise), mask (read: [B] from p.mask_off, 0 past a row's end, when p.has_mask;
// scratch otherwise), out (read_write: [B, H], lstm [2, B, H]: h then c), p (uniform Params).
// Preamble: alias C = f32, and shaders/lib/math_f32.wgsl (tanh_stable, sigmoid_stable).
//
// G = gates per cell, in PyTorch's order: rnn 1; lstm 4 (i, f, g, o); gru 3 (r, z, n, with
// n = tanh(xn + r * (hn + b_hn))). One invocation per (row b, unit j), no loops; a masked row
// copies its previous state.

struct Params {
  batch: u32,
  hidden: u32,
  xg_off: u32,
  hg_off: u32,
  hp_off: u32,
  cp_off: u32,
  mask_off: u32,
  has_bias: u32,
  has_mask: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> xg: array<C>;
@group(0) @binding(1) var<storage, read> hg: array<C>;
@group(0) @binding(2) var<storage, read> bias: array<C>;
@group(0) @binding(3) var<storage, read> hprev: array<C>;
@group(0) @binding(4) var<storage, read> cprev: array<C>;
@group(0) @binding(5) var<storage, read> mask: array<C>;
@group(0) @binding(6) var<storage, read_write> out: array<C>;
@group(0) @binding(7) var<uniform> p: Params;

fn unit(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Row b's validity at this step.
fn valid(b: u32) -> bool {
  return p.has_mask == 0u || mask[p.mask_off + b] != 0.0;
}

// Gate k's input part and hidden part (b_hh included) at row b, unit j (G gates).
fn gate_x(b: u32, j: u32, k: u32, g: u32) -> C {
  return xg[p.xg_off + (b * g + k) * p.hidden + j];
}
fn gate_h(b: u32, j: u32, k: u32, g: u32) -> C {
  var v = hg[p.hg_off + (b * g + k) * p.hidden + j];
  if (p.has_bias != 0u) { v += bias[k * p.hidden + j]; }
  return v;
}

fn rnn(i: u32, relu: bool) {
  if (i >= p.batch * p.hidden) { return; }
  let b = i / p.hidden;
  let j = i % p.hidden;
  if (!valid(b)) { out[i] = hprev[p.hp_off + i]; return; }
  let s = gate_x(b, j, 0u, 1u) + gate_h(b, j, 0u, 1u);
  out[i] = select(tanh_stable(s), max(s, 0.0), relu);
}

@compute @workgroup_size(WG)
fn rnn_tanh(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rnn(unit(gid, nwg), false);
}

@compute @workgroup_size(WG)
fn rnn_relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rnn(unit(gid, nwg), true);
}

@compute @workgroup_size(WG)
fn lstm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = unit(gid, nwg);
  let n = p.batch * p.hidden;
  if (i >= n) { return; }
  let b = i / p.hidden;
  let j = i % p.hidden;
  let c0 = cprev[p.cp_off + i];
  if (!valid(b)) {
    out[i] = hprev[p.hp_off + i];
    out[n + i] = c0;
    return;
  }
  let ig = sigmoid_stable(gate_x(b, j, 0u, 4u) + gate_h(b, j, 0u, 4u));
  let fg = sigmoid_stable(gate_x(b, j, 1u, 4u) + gate_h(b, j, 1u, 4u));
  let gg = tanh_stable(gate_x(b, j, 2u, 4u) + gate_h(b, j, 2u, 4u));
  let og = sigmoid_stable(gate_x(b, j, 3u, 4u) + gate_h(b, j, 3u, 4u));
  let c = fg * c0 + ig * gg;
  out[i] = og * tanh_stable(c);
  out[n + i] = c;
}

@compute @workgroup_size(WG)
fn gru(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = unit(gid, nwg);
  if (i >= p.batch * p.hidden) { return; }
  let b = i / p.hidden;
  let j = i % p.hidden;
  let h0 = hprev[p.hp_off + i];
  if (!valid(b)) { out[i] = h0; return; }
  let r = sigmoid_stable(gate_x(b, j, 0u, 3u) + gate_h(b, j, 0u, 3u));
  let z = sigmoid_stable(gate_x(b, j, 1u, 3u) + gate_h(b, j, 1u, 3u));
  let nn = tanh_stable(gate_x(b, j, 2u, 3u) + r * gate_h(b, j, 2u, 3u));
  out[i] = (1.0 - z) * nn + z * h0;
}
