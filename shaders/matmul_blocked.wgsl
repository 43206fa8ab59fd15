// matmul_blocked.wgsl: out[z, m, n] = sum_k a[z, m, k] * b[z, k, n], register-blocked: every
// invocation owns a block of 4*RM4 rows x 4*RN4 columns of out and walks K from global memory
// (no workgroup memory, no barriers). Batched, any strides, as matmul.wgsl.
//
// Bindings (group 0): a, b (read, strided: transposed views need no copy), out (read_write,
// contiguous [batch, M, N] from out_offset), p (uniform Params, the same fields as matmul.wgsl's). The preamble
// may add a4 and b4 (read: the same buffers as a and b, seen as vec4s) for the vector loads.
// Preamble (src/kernels/matmul/webgpu.ts writes it per operand layout): alias C (f32 | i32);
// per operand its storage type (CA, CB) and loader load_a(i) / load_b(i) -> C (a float16
// operand read in place: src/kernels/webgpu/halfLoads.ts);
// const RM4, RN4 (the block, in vec4s); fn load_a4(base, r, k) -> vec4<C>, rows r..r+3 of a's
// column k; fn load_b4(base, k, c) -> vec4<C>, columns c..c+3 of b's row k. Each is one vec4
// load where that operand is contiguous along the vector and 4-aligned (a with a_row == 1,
// the transposed operand of a weight gradient; b with b_col == 1), else four strided loads.
// K4 (where both operands are contiguous along K, 4-aligned, and K is a multiple of 4): the
// host keeps the `//@if K4` loop (blockedSource in src/kernels/matmul/webgpu.ts keeps one of
// the four), and the preamble gives fn load_ak4(base, r, k) and fn load_bk4(base, k, c): a's
// row r and b's column c at k..k+3, one vec4 each. IMPLICIT (a convolution's forward) and
// IMPLICIT_W (its weight gradient) read a convolution's columns from its input at offsets the
// preamble's constants give; `//@else` is the plain loop. IMPLICIT also has its own store.
// A block that overhangs M or N loads copies of the last rows/columns and discards them at the
// store, so the K loop has no branch.
// Overrides: WX, WY (the workgroup: WX x WY invocations, their blocks side by side).
// Grid: (ceil(N / (4 RN4 WX)), ceil(M / (4 RM4 WY)), batches); z beyond 65535 is split by the
// host (z_base). accumulate != 0 adds into out (the host walks a long K in slabs, as for
// matmul.wgsl: llvmpipe stops an invocation's loops after 65535 iterations in all).
//
// Why: on a CPU adapter (llvmpipe runs a workgroup's invocations as the lanes of SIMD
// registers) the cost of a matmul is its loads; a 16 x 16 block reuses every loaded a value 16
// times and every b value 16 times from registers, where matmul.wgsl's 4 x 4 block goes through
// workgroup memory and barriers. On a discrete GPU the tiled kernel is usually better; the
// autotuner (docs/tuning.md) measures which.
//
// Template: the accumulators are named variables, not an array (llvmpipe keeps an array that
// is indexed in a loop in memory: 6.5 against 33 GFLOP/s, measured), so the lines between
// `//@unroll` and `//@end` are written out by the host for every value of the counters named
// there (`q<RM4` runs q = 0 .. RM4-1), with {q} replaced by the value (unrollTemplate in
// src/kernels/webgpu/util.ts). Accumulator acc{q}_{l}_{v} holds row 4q+l, columns 4v..4v+3.
// Lib: shaders/lib/strided.wgsl (strided_offset2, for the batch dims; Dims, MAX_RANK), then
// shaders/lib/matmul_io.wgsl (Params, the bindings, store_row).

override WX: u32 = 8u;
override WY: u32 = 4u;

@compute @workgroup_size(WX, WY, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let z = wid.z + p.z_base;
  let batch = strided_offset2(z, p.batch_rank, p.batch_shape, p.a_batch_strides, p.b_batch_strides);
  let a_base = p.a_offset + batch.x;
  let b_base = p.b_offset + batch.y;
  let r0 = gid.y * (4u * RM4);
  let c0 = gid.x * (4u * RN4);
  if (r0 >= p.M || c0 >= p.N) { return; }
  // The first row (column) of each vec4 of the block, clamped into range: the loads clamp
  // each of the four rows to M - 1 (columns to N - 1); a vector load (only where M, or N, is
  // a multiple of 4 and the operand 4-aligned) rounds its index down to the last whole vec4.
  //@unroll q<RM4
  let ar{q} = min(r0 + {q}u * 4u, p.M - 1u);
  //@end
  //@unroll v<RN4
  let bc{v} = min(c0 + {v}u * 4u, p.N - 1u);
  //@end
  //@unroll q<RM4 l<4 v<RN4
  var acc{q}_{l}_{v} = vec4<C>();
  //@end
  //@if K4
  {
    // Both operands contiguous along K (a x b^T: a Linear's forward, a conv's weight gradient):
    // four k at a time, a vec4 of each row of a and each column of b, dot products into the
    // accumulators (K is a multiple of 4 here).
    for (var k = 0u; k < p.K; k += 4u) {
      //@unroll v<RN4 j<4
      let bk{v}_{j} = load_bk4(b_base, k, min(bc{v} + {j}u, p.N - 1u));
      //@end
      //@unroll q<RM4 l<4
      let ak{q}_{l} = load_ak4(a_base, min(ar{q} + {l}u, p.M - 1u), k);
      //@end
      //@unroll q<RM4 l<4 v<RN4
      acc{q}_{l}_{v} += vec4<C>(dot(ak{q}_{l}, bk{v}_0), dot(ak{q}_{l}, bk{v}_1), dot(ak{q}_{l}, bk{v}_2), dot(ak{q}_{l}, bk{v}_3));
      //@end
    }
  }
  //@elif IMPLICIT
  {
    // A convolution's columns read from its input (matmulImplicitColumns in
    // src/kernels/matmul/webgpu.ts): column q is pixel q % P of image q / P (one product over
    // the images side by side, so no workgroup overhangs an image's edge); its offset in x is
    // found once, here; per k the preamble's tap_offset(k) is the same for every column.
    //@unroll v<RN4 j<4
    let bo{v}_{j} = col_offset(min(bc{v} + {j}u, p.N - 1u));
    //@end
    for (var k = 0u; k < p.K; k++) {
      let t = b_base + tap_offset(k);
      //@unroll v<RN4
      let b{v} = vec4<C>(load_b(t + bo{v}_0), load_b(t + bo{v}_1), load_b(t + bo{v}_2), load_b(t + bo{v}_3));
      //@end
      //@unroll q<RM4
      let a{q} = load_a4(a_base, ar{q}, k);
      //@end
      //@unroll q<RM4 l<4 v<RN4
      acc{q}_{l}_{v} += a{q}[{l}] * b{v};
      //@end
    }
  }
  //@elif IMPLICIT_W
  {
    // A convolution's weight gradient, dw = dy x col(x)^T, its columns read from x
    // (matmulImplicitWeight in src/kernels/matmul/webgpu.ts): batch z is a chunk of p.K terms
    // of the images' pixels side by side (term q is pixel q % P of image q / P; p.b_row holds
    // their total, images x P), written as partial sums out[z]; column c is tap c of x, its
    // offset tap_offset(c) found once, here; per term the pixel's offset in x and in dy.
    //@unroll v<RN4 j<4
    let bt{v}_{j} = tap_offset(min(bc{v} + {j}u, p.N - 1u));
    //@end
    let q0 = z * p.K;
    let kn = min(p.K, p.b_row - q0);
    for (var k = 0u; k < kn; k++) {
      let qq = q0 + k;
      let n = qq / CV_P;
      let i = qq - n * CV_P;
      let xo = b_base + n * CV_XN + (i / CV_OW) * CV_QH + (i % CV_OW) * CV_QW;
      let ao = a_base + n * CV_DN + i;
      //@unroll v<RN4
      let b{v} = vec4<C>(load_b(xo + bt{v}_0), load_b(xo + bt{v}_1), load_b(xo + bt{v}_2), load_b(xo + bt{v}_3));
      //@end
      //@unroll q<RM4
      let a{q} = vec4<C>(load_a(ao + ar{q} * CV_DC), load_a(ao + min(ar{q} + 1u, p.M - 1u) * CV_DC), load_a(ao + min(ar{q} + 2u, p.M - 1u) * CV_DC), load_a(ao + min(ar{q} + 3u, p.M - 1u) * CV_DC));
      //@end
      //@unroll q<RM4 l<4 v<RN4
      acc{q}_{l}_{v} += a{q}[{l}] * b{v};
      //@end
    }
  }
  //@else
  {
    for (var k = 0u; k < p.K; k++) {
      //@unroll v<RN4
      let b{v} = load_b4(b_base, k, bc{v});
      //@end
      //@unroll q<RM4
      let a{q} = load_a4(a_base, ar{q}, k);
      //@end
      //@unroll q<RM4 l<4 v<RN4
      acc{q}_{l}_{v} += a{q}[{l}] * b{v};
      //@end
    }
  }
  //@endif
  //@if IMPLICIT
  // The columns run over every image's pixels in turn: the preamble's store_cols finds each
  // column's image and pixel.
  //@unroll q<RM4 l<4 v<RN4
  store_cols(r0 + {q}u * 4u + {l}u, c0 + {v}u * 4u, acc{q}_{l}_{v});
  //@end
  //@else
  // epi: the preamble's epilogue of a row of four outputs (the identity, or plus the bias of
  // their columns, a linear layer's).
  let out_base = p.out_offset + z * p.M * p.N;
  //@unroll q<RM4 l<4 v<RN4
  store_row(out_base, r0 + {q}u * 4u + {l}u, c0 + {v}u * 4u, epi(c0 + {v}u * 4u, acc{q}_{l}_{v}));
  //@end
  //@endif
}
