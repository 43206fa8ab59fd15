/**
 * The bad-call sweep: each file in tests/sweep/ exports `cases`, a list of calls to the public
 * API that must be refused. tests/sweep.test.ts runs every case on every device and checks that
 * it throws (or rejects) with a message that names the op and says what was expected.
 */
import type { DeviceName } from '../../src/index.js';

export interface BadCall {
  /** What is wrong, in a few words (the test's name). */
  what: string;
  /** The class of mistake, counted in docs/robustness.md. */
  kind: 'unknown option' | 'out of range' | 'wrong type' | 'shape' | 'dtype' | 'device' | 'state' | 'file';
  /** Makes the bad call; it may return a promise that must reject. */
  call: (device: DeviceName) => unknown;
  /** The op the message must name, e.g. 'SGD' or 'conv2d'. */
  op: string;
  /** Fragments the message must contain (what was expected, the offending value...). */
  expect: (string | RegExp)[];
  /** Run on cpu only (the call makes no tensor on the device, or only cpu has the feature). */
  cpuOnly?: boolean;
}
