/**
 * The index-range check of embedding and oneHot, shared by both backends: the cpu loop throws
 * this message, and the webgpu kernel's error codes (4 and 5) are turned into the same one.
 */

/** Which op an index check runs for (it picks the message). */
export type IndexCheckOp = 'embedding' | 'oneHot';

/** The message of an index out of range. */
export function indexRangeMessage(op: IndexCheckOp, index: number, size: number): string {
  const what = op === 'embedding' ? `a weight with ${size} rows` : `numClasses = ${size}`;
  return `${op}: index ${index} is out of range for ${what} (expected 0 to ${size - 1})`;
}
