/**
 * Counter-based random numbers: element i of a draw is a pure function of (seed, counter + i),
 * so the CPU loop and the WGSL kernel (shaders/random.wgsl) produce the same numbers for the
 * same seed, in any order, with no state on the device. The generator only hands out counter
 * ranges. The hash is a two-round PCG output permutation (good avalanche for 32-bit inputs).
 */

export function pcgHash(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** 32 random bits for counter `c` under `seed`. */
export function randomBits(seed: number, c: number): number {
  return pcgHash((pcgHash(c >>> 0) + (seed >>> 0)) >>> 0);
}

/** Uniform in [0, 1) with 24 bits, exactly representable in float32 (same on GPU). */
export function bitsToUnit(bits: number): number {
  return (bits >>> 8) * (1 / 16777216);
}

/** Counters a draw of `n` elements consumes: normals take two uniforms each. */
export function countersFor(kind: 'uniform' | 'normal' | 'int', n: number): number {
  return kind === 'normal' ? 2 * n : n;
}

/** The global generator: a seed and the next unused counter. */
export class Generator {
  seed: number;
  counter = 0;
  constructor(seed: number) {
    this.seed = seed >>> 0;
  }
  /** Reserves `n` counters and returns the first. */
  take(n: number): number {
    const c = this.counter;
    this.counter = (this.counter + n) >>> 0;
    return c;
  }
}

export const defaultGenerator = new Generator((Math.random() * 2 ** 32) >>> 0);

/** Seeds the global generator: the same seed gives the same numbers on every backend. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`manualSeed: seed must be an integer, got ${seed}`);
  defaultGenerator.seed = seed >>> 0;
  defaultGenerator.counter = 0;
}
