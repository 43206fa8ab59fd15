/**
 * webgrad.mining.KMeans: Lloyd's algorithm with k-means++ (or random) seeding, as
 * sklearn.cluster.KMeans. The distance and assignment steps are tensor ops on X's device:
 * squared distances as |x|^2 - 2 x.c + |c|^2 (one matmul), argmin for the labels, a one-hot
 * matmul for the new centres. The host reads only what decides the control flow: the
 * k-means++ sampling weights, each iteration's centre shift and each run's inertia; hence
 * `fit` returns a Promise.
 */
import { noGrad } from '../autograd/mode.js';
import { bitsToUnit, defaultGenerator, randomBits } from '../core/random.js';
import { fmtShape } from '../core/shape.js';
import { checkChoice, checkNumber, checkOptions, describe as describeValue, noExtra } from '../core/options.js';
import { arange, tensor } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/memory.js';
import { where } from '../tensor/ops/elementwise.js';
import { Tensor } from '../tensor/tensor.js';
import { checkData, Fitted } from './common.js';

export interface KMeansOptions {
  /** The number of clusters (default 8, as scikit-learn). */
  nClusters?: number;
  /** 'k-means++' (default: greedy k-means++, 2 + floor(ln k) candidates per centre, as scikit-learn), 'random' (k distinct rows), or a Tensor [nClusters, nFeatures] of starting centres. */
  init?: 'k-means++' | 'random' | Tensor;
  /** Runs from different seeds; the lowest inertia wins. 'auto' (default): 1 for k-means++ and a given Tensor, 10 for random. */
  nInit?: number | 'auto';
  /** The most Lloyd iterations per run (default 300). */
  maxIter?: number;
  /** Convergence: stop when the squared centre shift falls to tol * (the mean feature variance of X) (default 1e-4). */
  tol?: number;
  /** Seed of the seeding's random draws (an integer); default: one drawn from the global generator (manualSeed). */
  seed?: number;
}

/** A host stream of uniforms in [0, 1) from the counter-based generator. */
class HostRandom {
  private c = 0;
  constructor(private readonly seed: number) {}
  next(): number {
    return bitsToUnit(randomBits(this.seed, this.c++));
  }
}

/** Squared Euclidean distances [n, k] between the rows of x [n, d] (with row norms xx [n, 1]) and c [k, d]. */
function sqDist(x: Tensor, xx: Tensor, c: Tensor): Tensor {
  return tidy(() => xx.sub(x.matmul(c.transpose(0, 1)).mul(2)).add(c.square().sum(1).unsqueeze(0)).clamp(0));
}

/** Index i with probability w[i] / sum(w) (the last positive one on rounding). */
function sample(w: ArrayLike<number>, total: number, u: number): number {
  const r = u * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i]! > 0) last = i;
    acc += w[i]!;
    if (acc > r) return i;
  }
  return last;
}

/** sklearn.cluster.KMeans: fit(X), predict(X); clusterCenters, labels, inertia, nIter. */
export class KMeans {
  readonly nClusters: number;
  readonly init: 'k-means++' | 'random' | Tensor;
  readonly nInit: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number | undefined;
  /** After fit: the centres [nClusters, nFeatures] on X's device. */
  clusterCenters!: Tensor;
  /** After fit: each training row's cluster [nSamples] (int32). */
  labels!: Tensor;
  /** After fit: the sum of squared distances of the rows to their centres. */
  inertia = NaN;
  /** After fit: the Lloyd iterations of the best run. */
  nIter = 0;
  private readonly state: Fitted = new Fitted('KMeans');

  constructor(options: KMeansOptions = {}, ...extra: never[]) {
    const op = 'KMeans';
    noExtra(op, extra, '(options?)');
    checkOptions(op, options, ['nClusters', 'init', 'nInit', 'maxIter', 'tol', 'seed']);
    this.nClusters = checkNumber(op, 'nClusters', options.nClusters ?? 8, { int: true, min: 1 });
    const init = options.init ?? 'k-means++';
    if (init instanceof Tensor) {
      if (init.ndim !== 2 || init.shape[0] !== this.nClusters) {
        throw new Error(`${op}: an init Tensor must be [nClusters, nFeatures] = [${this.nClusters}, d], got shape ${fmtShape(init.shape)}`);
      }
      this.init = init;
    } else {
      this.init = checkChoice(op, 'init', init, ['k-means++', 'random'] as const);
    }
    const nInit = options.nInit ?? 'auto';
    if (nInit === 'auto') this.nInit = this.init === 'random' ? 10 : 1;
    else if (typeof nInit === 'number') this.nInit = checkNumber(op, 'nInit', nInit, { int: true, min: 1 });
    else throw new Error(`${op}: nInit must be an integer >= 1 or 'auto', got ${describeValue(nInit)}`);
    if (this.init instanceof Tensor && this.nInit !== 1) throw new Error(`${op}: nInit must be 1 (or 'auto') when init is a Tensor of centres, got ${this.nInit}`);
    this.maxIter = checkNumber(op, 'maxIter', options.maxIter ?? 300, { int: true, min: 1 });
    this.tol = checkNumber(op, 'tol', options.tol ?? 1e-4, { min: 0 });
    this.seed = options.seed === undefined ? undefined : checkNumber(op, 'seed', options.seed, { int: true });
  }

  get nFeaturesIn(): number {
    return this.state.nFeatures;
  }

  /** Starting centres [k, d] for one run. */
  private async seedCenters(x: Tensor, xx: Tensor, rand: HostRandom): Promise<Tensor> {
    const n = x.shape[0]!;
    const k = this.nClusters;
    if (this.init instanceof Tensor) {
      // A copy: the run consumes its start, and the given tensor stays the caller's.
      const moved = await this.init.to(x.device);
      const start = tidy(() => moved.detach().cast(x.dtype).clone());
      if (moved !== this.init) moved.dispose();
      return start;
    }
    const rows = (ids: number[]) => {
      const idx = tensor(Int32Array.from(ids), { device: x.device });
      const r = x.indexSelect(0, idx);
      idx.dispose();
      return r;
    };
    if (this.init === 'random') {
      // k distinct rows: a partial Fisher-Yates shuffle.
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rand.next() * (n - i));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return rows(Array.from(perm.subarray(0, k)));
    }
    // Greedy k-means++: each new centre is the best (lowest total D^2) of a few rows drawn with
    // probability D^2 (the squared distance to the nearest centre so far).
    const trials = 2 + Math.floor(Math.log(k));
    const chosen = [Math.floor(rand.next() * n)];
    let d2 = tidy(() => sqDist(x, xx, rows(chosen)).squeeze(1));
    for (let c = 1; c < k; c++) {
      const w = await d2.data();
      let total = 0;
      for (const v of w) total += v;
      const cands: number[] = [];
      for (let t = 0; t < trials; t++) cands.push(total > 0 ? sample(w, total, rand.next()) : Math.floor(rand.next() * n));
      const [next, pots] = tidy(() => {
        const nd = d2.unsqueeze(1).minimum(sqDist(x, xx, rows(cands))); // [n, trials]
        return [nd, nd.sum(0)];
      });
      const p = await pots.data();
      let best = 0;
      for (let t = 1; t < trials; t++) if (p[t]! < p[best]!) best = t;
      chosen.push(cands[best]!);
      const nd2 = tidy(() => next.select(1, best).contiguous());
      for (const t of [d2, next, pots]) t.dispose();
      d2 = nd2;
    }
    d2.dispose();
    return rows(chosen);
  }

  /** One run of Lloyd's algorithm from `start` (consumed); the final centres, labels, inertia and iterations. */
  private async lloyd(x: Tensor, xx: Tensor, start: Tensor, tolAbs: number): Promise<{ centers: Tensor; labels: Tensor; inertia: number; nIter: number }> {
    const k = this.nClusters;
    const ids = tidy(() => arange(k, { device: x.device }).unsqueeze(0)); // [1, k]
    let centers = start;
    let it = 0;
    while (it < this.maxIter) {
      it++;
      const [next, shift] = tidy(() => {
        const labels = sqDist(x, xx, centers).argmin(1);
        const onehot = labels.unsqueeze(1).eq(ids).cast(x.dtype); // [n, k]
        const counts = onehot.sum(0).unsqueeze(1); // [k, 1]
        const sums = onehot.transpose(0, 1).matmul(x); // [k, d]
        // An empty cluster keeps its centre (scikit-learn moves it to a far point instead).
        const c = where(counts.eq(0), centers, sums.div(counts.clamp(1)));
        return [c, c.sub(centers).square().sum()];
      });
      const s = await shift.item();
      shift.dispose();
      centers.dispose();
      centers = next;
      if (s <= tolAbs) break;
    }
    // The labels and inertia of the final centres (so that they agree with clusterCenters).
    const [labels, inertiaT] = tidy(() => {
      const dist = sqDist(x, xx, centers);
      return [dist.argmin(1), dist.amin(1).sum()];
    });
    const inertia = await inertiaT.item();
    inertiaT.dispose();
    ids.dispose();
    return { centers, labels, inertia, nIter: it };
  }

  /** Clusters the rows of X [nSamples, nFeatures] (nSamples >= nClusters). */
  async fit(X: Tensor, ...extra: never[]): Promise<this> {
    const op = 'KMeans.fit';
    noExtra(op, extra, '(X)');
    checkData(op, X);
    const [n, d] = [X.shape[0]!, X.shape[1]!];
    if (n < this.nClusters) throw new Error(`${op}: X has ${n} samples, fewer than nClusters (${this.nClusters})`);
    if (this.init instanceof Tensor && this.init.shape[1] !== d) {
      throw new Error(`${op}: the init centres have ${this.init.shape[1]} features, X has ${d}`);
    }
    const seed = this.seed ?? randomBits(defaultGenerator.seed, defaultGenerator.take(1));
    const rand = new HostRandom(seed);
    {
      // Detached, so nothing below is recorded (an async body cannot run inside noGrad).
      const x = X.detach();
      const xx = tidy(() => x.square().sum(1, true));
      const meanVar = tidy(() => x.var(0, { correction: 0 }).mean());
      const tolAbs = this.tol * (await meanVar.item());
      meanVar.dispose();
      let best: Awaited<ReturnType<KMeans['lloyd']>> | null = null;
      for (let r = 0; r < this.nInit; r++) {
        const run = await this.lloyd(x, xx, await this.seedCenters(x, xx, rand), tolAbs);
        if (!best || run.inertia < best.inertia) {
          if (best) { best.centers.dispose(); best.labels.dispose(); }
          best = run;
        } else {
          run.centers.dispose();
          run.labels.dispose();
        }
      }
      xx.dispose();
      x.dispose();
      this.state.reset(X);
      this.clusterCenters = this.state.hold(keep(best!.centers));
      this.labels = this.state.hold(keep(best!.labels));
      this.inertia = best!.inertia;
      this.nIter = best!.nIter;
      return this;
    }
  }

  /** The nearest centre of each row of X [nSamples] (int32). */
  predict(X: Tensor, ...extra: never[]): Tensor {
    noExtra('KMeans.predict', extra, '(X)');
    this.state.check('predict', X);
    return noGrad(() => tidy(() => sqDist(X, X.square().sum(1, true), this.clusterCenters).argmin(1)));
  }

  /** fit(X), then the training labels. */
  async fitPredict(X: Tensor, ...extra: never[]): Promise<Tensor> {
    noExtra('KMeans.fitPredict', extra, '(X)');
    await this.fit(X);
    return this.labels;
  }

  /** Euclidean distances from each row of X to each centre [nSamples, nClusters]. */
  transform(X: Tensor, ...extra: never[]): Tensor {
    noExtra('KMeans.transform', extra, '(X)');
    this.state.check('transform', X);
    return tidy(() => sqDist(X, X.square().sum(1, true), this.clusterCenters).sqrt());
  }
}
