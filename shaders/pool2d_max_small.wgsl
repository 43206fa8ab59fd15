// pool2d_max_small.wgsl: max pooling with small windows in one pass, and the backward of
// windows that do not overlap as a scatter, for webgrad.nn.functional maxPool2d (nn_pool.ts).
//
// Bindings (group 0): x (read: the input [N, C, H, W] for `window`, the output's gradient
// [N, C, OH, OW] for `scatter`; any strides), idx (read_write, i32: the argmax indices h * W + w,
// written contiguous by `window`, read through i_strides by `scatter`), out (read_write,
// contiguous: [N, C, OH, OW] for `window`, [N, C, H, W] for `scatter`), p (uniform Params).
// Preamble: alias C (f32), shaders/lib/math_f32.wgsl (is_nan, f32_inf), and the geometry as
// constants (one pipeline per pooling shape, so the divisions of out_coords are by constants and
// the window loops have fixed trip counts, which llvmpipe unrolls): OUT_C, OUT_H, OUT_W (the
// output's [C, OH, OW]), IN_H, IN_W, and the window KH, SH, PH, DH, KW, SW, PW, DW (kernel,
// stride, padding, dilation per axis). The uniform's out_shape, in_hw, win_h and win_w carry
// the same values (the struct is shared by both entries and the host's binder).
// One invocation per output element [N, C, OH, OW], 1-D or 2-D grid.
//
// window: the max of the window's kernel_h * kernel_w taps in row-major order; the first
// maximum wins and NaN beats every number (the first NaN wins), so value and index are those
// of pool2d_max.wgsl's two passes and of the cpu reference. The host sends windows of at most
// SMALL_WINDOW taps (non-adaptive) here.
// scatter: where no input element lies in two windows (stride >= the dilated kernel on both
// axes), each input element receives the gradient of at most one output, so each output writes
// its gradient at its argmax into `out`, zero-filled by the host first: no atomics, no gather.
// Why: on a CPU adapter (llvmpipe) the two-pass forward and the gather backward paid two
// dispatches and a loop over covering windows per input element (2 x 2 pooling of 800k floats:
// about 6 ms forward, 10 ms backward; measured in the demo CNN's step).

struct Params {
  n: u32,
  x_offset: u32,
  i_offset: u32,
  _pad0: u32,
  // [N, C, OH, OW]
  out_shape: vec4<u32>,
  // [H, W, -, -] of the input
  in_hw: vec4<u32>,
  x_strides: vec4<u32>,
  i_strides: vec4<u32>,
  // kernel, stride, padding, dilation along H, then along W.
  win_h: vec4<u32>,
  win_w: vec4<u32>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<C>;
@group(0) @binding(1) var<storage, read_write> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<C>;
@group(0) @binding(3) var<uniform> p: Params;

fn out_coords(i: u32) -> vec4<u32> {
  var r = i;
  let ow = r % OUT_W;
  r = r / OUT_W;
  let oh = r % OUT_H;
  r = r / OUT_H;
  return vec4<u32>(r / OUT_C, r % OUT_C, oh, ow);
}

@compute @workgroup_size(WG)
fn window(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = out_coords(i);
  let base = p.x_offset + o.x * p.x_strides.x + o.y * p.x_strides.y;
  let h0 = i32(o.z * SH) - i32(PH);
  let w0 = i32(o.w * SW) - i32(PW);
  var best = -f32_inf();
  var best_idx = -1;
  var found = false;
  for (var th = 0u; th < KH; th++) {
    let h = h0 + i32(th * DH);
    if (h < 0 || h >= i32(IN_H)) { continue; }
    for (var tw = 0u; tw < KW; tw++) {
      let w = w0 + i32(tw * DW);
      if (w < 0 || w >= i32(IN_W)) { continue; }
      let v = x[base + u32(h) * p.x_strides.z + u32(w) * p.x_strides.w];
      if (!found || v > best || (is_nan(v) && !is_nan(best))) {
        best = v;
        best_idx = h * i32(IN_W) + w;
        found = true;
      }
    }
  }
  out[i] = best;
  idx[i] = best_idx;
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = out_coords(i);
  let j = idx[p.i_offset + o.x * p.i_strides.x + o.y * p.i_strides.y + o.z * p.i_strides.z + o.w * p.i_strides.w];
  if (j < 0) { return; } // a window with no element inside the input
  out[(o.x * OUT_C + o.y) * (IN_H * IN_W) + u32(j)] = x[p.x_offset + o.x * p.x_strides.x + o.y * p.x_strides.y + o.z * p.x_strides.z + o.w * p.x_strides.w];
}
