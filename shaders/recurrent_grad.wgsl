// recurrent_grad.wgsl: the adjoint of one recurrent_step.wgsl step, recomputing the gates from
// the step's inputs (nothing but the inputs is saved at forward time).
//
// Bindings (group 0): xg, hg, bias, hprev, cprev, mask (read: as in recurrent_step.wgsl),
// gout (read: the gradient of the step's output, [B, H], lstm [2, B, H], from p.go_off),
// dxg (read_write: [B, G*H], the gradient of the input-side pre-activations), dhg (read_write:
// gru's hidden-side ones, [B, 3H]; scratch for rnn and lstm, whose two sides are equal), dhprev
// (read_write: [B, H], what reaches h_prev directly: gru's z path, masked rows' pass-through),
// dcprev (read_write: lstm's [B, H]; scratch otherwise), p (uniform Params).
// Preamble: alias C = f32, and shaders/lib/math_f32.wgsl (tanh_stable, sigmoid_stable).
//
// One invocation per (row b, unit j), no loops. A masked row's state passed through: its
// gradient goes back to h_prev (and c_prev) unchanged and the gates get zero.

struct Params {
  batch: u32,
  hidden: u32,
  xg_off: u32,
  hg_off: u32,
  hp_off: u32,
  cp_off: u32,
  mask_off: u32,
  go_off: u32,
  has_bias: u32,
  has_mask: u32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> xg: array<C>;
@group(0) @binding(1) var<storage, read> hg: array<C>;
@group(0) @binding(2) var<storage, read> bias: array<C>;
@group(0) @binding(3) var<storage, read> hprev: array<C>;
@group(0) @binding(4) var<storage, read> cprev: array<C>;
@group(0) @binding(5) var<storage, read> mask: array<C>;
@group(0) @binding(6) var<storage, read> gout: array<C>;
@group(0) @binding(7) var<storage, read_write> dxg: array<C>;
@group(0) @binding(8) var<storage, read_write> dhg: array<C>;
@group(0) @binding(9) var<storage, read_write> dhprev: array<C>;
@group(0) @binding(10) var<storage, read_write> dcprev: array<C>;
@group(0) @binding(11) var<uniform> p: Params;

fn unit(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn valid(b: u32) -> bool {
  return p.has_mask == 0u || mask[p.mask_off + b] != 0.0;
}

fn gate_x(b: u32, j: u32, k: u32, g: u32) -> C {
  return xg[p.xg_off + (b * g + k) * p.hidden + j];
}
fn gate_h(b: u32, j: u32, k: u32, g: u32) -> C {
  var v = hg[p.hg_off + (b * g + k) * p.hidden + j];
  if (p.has_bias != 0u) { v += bias[k * p.hidden + j]; }
  return v;
}
// Where gate k of row b, unit j sits in the [B, G*H] outputs.
fn at(b: u32, j: u32, k: u32, g: u32) -> u32 {
  return (b * g + k) * p.hidden + j;
}

fn rnn(i: u32, relu: bool) {
  if (i >= p.batch * p.hidden) { return; }
  let b = i / p.hidden;
  let j = i % p.hidden;
  let gh = gout[p.go_off + i];
  if (!valid(b)) {
    dxg[i] = 0.0;
    dhprev[i] = gh;
    return;
  }
  let s = gate_x(b, j, 0u, 1u) + gate_h(b, j, 0u, 1u);
  let t = tanh_stable(s);
  dxg[i] = select(gh * (1.0 - t * t), select(0.0, gh, s > 0.0), relu);
  dhprev[i] = 0.0;
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
  let gh = gout[p.go_off + i];
  let gc = gout[p.go_off + n + i];
  if (!valid(b)) {
    for (var k = 0u; k < 4u; k++) { dxg[at(b, j, k, 4u)] = 0.0; }
    dhprev[i] = gh;
    dcprev[i] = gc;
    return;
  }
  let c0 = cprev[p.cp_off + i];
  let ig = sigmoid_stable(gate_x(b, j, 0u, 4u) + gate_h(b, j, 0u, 4u));
  let fg = sigmoid_stable(gate_x(b, j, 1u, 4u) + gate_h(b, j, 1u, 4u));
  let gg = tanh_stable(gate_x(b, j, 2u, 4u) + gate_h(b, j, 2u, 4u));
  let og = sigmoid_stable(gate_x(b, j, 3u, 4u) + gate_h(b, j, 3u, 4u));
  let tc = tanh_stable(fg * c0 + ig * gg);
  let dc = gc + gh * og * (1.0 - tc * tc);
  dxg[at(b, j, 0u, 4u)] = dc * gg * ig * (1.0 - ig);
  dxg[at(b, j, 1u, 4u)] = dc * c0 * fg * (1.0 - fg);
  dxg[at(b, j, 2u, 4u)] = dc * ig * (1.0 - gg * gg);
  dxg[at(b, j, 3u, 4u)] = gh * tc * og * (1.0 - og);
  dhprev[i] = 0.0;
  dcprev[i] = dc * fg;
}

@compute @workgroup_size(WG)
fn gru(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = unit(gid, nwg);
  if (i >= p.batch * p.hidden) { return; }
  let b = i / p.hidden;
  let j = i % p.hidden;
  let gh = gout[p.go_off + i];
  if (!valid(b)) {
    for (var k = 0u; k < 3u; k++) {
      dxg[at(b, j, k, 3u)] = 0.0;
      dhg[at(b, j, k, 3u)] = 0.0;
    }
    dhprev[i] = gh;
    return;
  }
  let h0 = hprev[p.hp_off + i];
  let r = sigmoid_stable(gate_x(b, j, 0u, 3u) + gate_h(b, j, 0u, 3u));
  let z = sigmoid_stable(gate_x(b, j, 1u, 3u) + gate_h(b, j, 1u, 3u));
  let hn = gate_h(b, j, 2u, 3u);
  let nn = tanh_stable(gate_x(b, j, 2u, 3u) + r * hn);
  let dn = gh * (1.0 - z) * (1.0 - nn * nn);
  let dr = dn * hn * r * (1.0 - r);
  let dz = gh * (h0 - nn) * z * (1.0 - z);
  dxg[at(b, j, 0u, 3u)] = dr;
  dxg[at(b, j, 1u, 3u)] = dz;
  dxg[at(b, j, 2u, 3u)] = dn;
  dhg[at(b, j, 0u, 3u)] = dr;
  dhg[at(b, j, 1u, 3u)] = dz;
  dhg[at(b, j, 2u, 3u)] = dn * r;
  dhprev[i] = gh * z;
}
