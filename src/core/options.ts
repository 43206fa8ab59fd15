/**
 * Checking of options objects and argument values, shared by every public function.
 *
 * No silent acceptance: an options object with a key the function does not read is an error
 * that names the function, the key, a near miss ("did you mean") and every accepted key; a
 * value out of range names the function, the option, the value and the range expected.
 * This module imports nothing from the rest of webgrad.
 */

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[m]![n]!;
}

const fold = (s: string): string => s.replace(/[_-]/g, '').toLowerCase();

/** The accepted name closest to `key` (snake_case and case differences count as equal), if any is close. */
export function closestName(key: string, accepted: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of accepted) {
    const d = fold(a) === fold(key) ? 0 : editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  return bestD <= limit ? best : undefined;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return v.length <= 8 ? `[${v.map(describe).join(', ')}]` : `an array of ${v.length}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `options` is undefined or a plain object whose own keys are all in `accepted`.
 * Keys whose value is `undefined` are checked too: a misspelt key is an error whatever it holds.
 */
export function checkOptions<T>(op: string, options: T, accepted: readonly string[]): T {
  if (options === undefined) return options;
  if (!isPlainObject(options)) {
    throw new Error(`${op}: options must be a plain object ({ ${accepted.join(', ')} }), got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (accepted.includes(key)) continue;
    const near = closestName(key, accepted);
    throw new Error(
      `${op}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}; ` +
        (accepted.length ? `accepted options: ${accepted.join(', ')}` : 'it takes no options'),
    );
  }
  return options;
}

export interface NumberCheck {
  /** Lower bound (inclusive unless `gt`). */
  min?: number;
  /** Upper bound (inclusive unless `lt`). */
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Exclusive upper bound. */
  lt?: number;
  /** Must be an integer. */
  int?: boolean;
  /** Infinity allowed (default false: finite numbers only, NaN never). */
  infinite?: boolean;
}

function rangeText(c: NumberCheck): string {
  const lo = c.gt !== undefined ? `> ${c.gt}` : c.min !== undefined ? `>= ${c.min}` : '';
  const hi = c.lt !== undefined ? `< ${c.lt}` : c.max !== undefined ? `<= ${c.max}` : '';
  const kind = c.int ? 'an integer' : c.infinite ? 'a number' : 'a finite number';
  const bounds = [lo, hi].filter(Boolean).join(' and ');
  return bounds ? `${kind} ${bounds}` : kind;
}

/** Throws unless `v` is a number meeting `c`; names the op, the argument and the range. */
export function checkNumber(op: string, name: string, v: unknown, c: NumberCheck = {}): number {
  const n = v as number;
  const ok =
    typeof v === 'number' &&
    !Number.isNaN(n) &&
    (c.infinite || Number.isFinite(n)) &&
    (!c.int || Number.isInteger(n)) &&
    (c.min === undefined || n >= c.min) &&
    (c.max === undefined || n <= c.max) &&
    (c.gt === undefined || n > c.gt) &&
    (c.lt === undefined || n < c.lt);
  if (!ok) throw new Error(`${op}: ${name} must be ${rangeText(c)}, got ${describe(v)}`);
  return n;
}

/** Throws unless `v` is a boolean. */
export function checkBoolean(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`${op}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** Throws unless `v` is one of `choices`. */
export function checkChoice<T extends string>(op: string, name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !choices.includes(v as T)) {
    const near = typeof v === 'string' ? closestName(v, choices) : undefined;
    throw new Error(`${op}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return v as T;
}

/**
 * Refuses arguments past an op's last parameter (a JS caller's extra argument, PyTorch's
 * `inplace`, a positional option, would otherwise be ignored without a word); `signature` is
 * the op's parameter list, e.g. '(x, dim)'.
 */
export function noExtra(op: string, extra: readonly unknown[], signature: string): void {
  if (extra.length === 0) return;
  throw new Error(`${op}: takes ${signature}; got ${extra.length} more argument${extra.length > 1 ? 's' : ''} (${extra.map(describe).join(', ')})`);
}
