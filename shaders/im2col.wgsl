// im2col.wgsl: the column matrices of a 2-D convolution (NCHW, f32), for its im2col layout
// (src/kernels/conv/webgpu.ts): the convolution becomes batched matmuls on the matmul kernels.
//
// Bindings (group 0): x (read, a strided 4-D view), out (read_write, contiguous from
// out_offset), p (uniform Params). No preamble. Override: WG (invocations per workgroup).
//
// Layout of the columns of images n_base .. n_base + batch, with kg = (c, kh, kw) over the
// group's cin_g input channels and the KH x KW taps, and q = (oh, ow) over the output pixels:
//   im2col: cols[n, g, kg, q], per image and group a Kg x OH*OW matrix:
//     y[n, g] (cout_g x OH*OW) = w[g] (cout_g x Kg) @ cols[n, g]        (forward)
//     dcols[n, g] = w[g]^T @ dy[n, g], then dx = col2im(dcols)           (input gradient)
//   im2col_kg: cols[g, n, q, kg], per group and image an OH*OW x Kg matrix:
//     dw[g] (cout_g x Kg) = the sum over n of dy[n, g] @ cols[g, n]      (weight gradient)
//   so that each product's long operand is read along its rows (vector loads, matmul_blocked.wgsl).
// Entry points (the grid is 2-D past 65535 workgroups; p.n counts invocations):
//   im2col, im2col_kg  cols[.., (c, kh, kw), .., (oh, ow)] = x[n_base + n, g * cin_g + c, ih, iw]
//           with ih = oh * stride_h - pad_h + kh * dil_h (iw likewise), 0 where the tap is
//           outside x; an invocation writes a row of OW (im2col) or Kg (im2col_kg) columns.
//   col2im  dx[n_base + n, ci, ih, iw] (written at out_offset + its index) = the sum over the
//           taps (kh, kw) that read (ih, iw) of dcols[n, g, (c, kh, kw), (oh, ow)]: oh must
//           satisfy oh * stride_h = ih + pad_h - kh * dil_h, so taps off the stride grid or
//           outside the output add nothing. A gather (no atomics); x is dcols, contiguous.

struct Params {
  n: u32,
  c_in: u32,
  in_h: u32,
  in_w: u32,
  groups: u32,
  cin_g: u32,
  k_h: u32,
  k_w: u32,
  out_h: u32,
  out_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  dil_h: u32,
  dil_w: u32,
  x_offset: u32,
  out_offset: u32,
  n_base: u32,
  batch: u32,
  _pad0: u32,
  x_strides: vec4<u32>,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// One invocation per row of OW columns, cols[n, g, (c, kh, kw), oh, 0 .. OW): the index
// decoding (integer divisions, slow on a CPU adapter) is paid once per row, not per element.
@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let oh = i % p.out_h;
  var t = i / p.out_h;
  let kw = t % p.k_w;
  t = t / p.k_w;
  let kh = t % p.k_h;
  t = t / p.k_h;
  let c = t % p.cin_g;
  t = t / p.cin_g;
  let g = t % p.groups;
  let n = t / p.groups + p.n_base;
  let s = p.x_strides;
  let ih = i32(oh * p.stride_h + kh * p.dil_h) - i32(p.pad_h);
  let row_in = ih >= 0 && ih < i32(p.in_h);
  let src = p.x_offset + n * s.x + (g * p.cin_g + c) * s.y + u32(max(ih, 0)) * s.z;
  let dst = p.out_offset + i * p.out_w;
  var iw = i32(kw * p.dil_w) - i32(p.pad_w);
  for (var ow = 0u; ow < p.out_w; ow++) {
    var v = 0.0;
    if (row_in && iw >= 0 && iw < i32(p.in_w)) { v = x[src + u32(iw) * s.w]; }
    out[dst + ow] = v;
    iw += i32(p.stride_w);
  }
}

// The weight gradient's layout: one invocation per output pixel of an image,
// cols[g, n, oh, ow, 0 .. Kg), its taps walked in (c, kh, kw) order.
@compute @workgroup_size(WG)
fn im2col_kg(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let ow = i % p.out_w;
  var t = i / p.out_w;
  let oh = t % p.out_h;
  t = t / p.out_h;
  let n = t % p.batch + p.n_base;
  let g = t / p.batch;
  let s = p.x_strides;
  let ih0 = i32(oh * p.stride_h) - i32(p.pad_h);
  let iw0 = i32(ow * p.stride_w) - i32(p.pad_w);
  var dst = p.out_offset + i * p.cin_g * p.k_h * p.k_w;
  for (var c = 0u; c < p.cin_g; c++) {
    let src = p.x_offset + n * s.x + (g * p.cin_g + c) * s.y;
    for (var kh = 0u; kh < p.k_h; kh++) {
      let ih = ih0 + i32(kh * p.dil_h);
      let row_in = ih >= 0 && ih < i32(p.in_h);
      for (var kw = 0u; kw < p.k_w; kw++) {
        let iw = iw0 + i32(kw * p.dil_w);
        var v = 0.0;
        if (row_in && iw >= 0 && iw < i32(p.in_w)) { v = x[src + u32(ih) * s.z + u32(iw) * s.w]; }
        out[dst] = v;
        dst++;
      }
    }
  }
}

@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let iw = i % p.in_w;
  var t = i / p.in_w;
  let ih = t % p.in_h;
  t = t / p.in_h;
  let ci = t % p.c_in;
  let n = t / p.c_in;
  let g = ci / p.cin_g;
  let c = ci % p.cin_g;
  let q = p.out_h * p.out_w;
  // dcols[n, g, (c, kh, kw), q], contiguous.
  let base = ((n * p.groups + g) * p.cin_g + c) * p.k_h * p.k_w * q;
  var acc = 0.0;
  for (var kh = 0u; kh < p.k_h; kh++) {
    let hn = i32(ih + p.pad_h) - i32(kh * p.dil_h);
    if (hn < 0 || u32(hn) % p.stride_h != 0u) { continue; }
    let oh = u32(hn) / p.stride_h;
    if (oh >= p.out_h) { continue; }
    for (var kw = 0u; kw < p.k_w; kw++) {
      let wn = i32(iw + p.pad_w) - i32(kw * p.dil_w);
      if (wn < 0 || u32(wn) % p.stride_w != 0u) { continue; }
      let ow = u32(wn) / p.stride_w;
      if (ow >= p.out_w) { continue; }
      acc += x[p.x_offset + base + (kh * p.k_w + kw) * q + oh * p.out_w + ow];
    }
  }
  out[p.out_offset + i] = acc;
}
