// The Square attack run over a dataset: clean predictions, the start, then queries on the examples still
// standing, until each is misclassified or has used its queries: blocks of queries, one compiled graph
// per block and batch size (L∞ on a dense first layer: each candidate updates x·W from the rows of W its
// window covers). Windows are drawn per query, starts and L2's signs per example from its id: the result
// does not depend on chunking.
import type { SquareAttack } from '../attacks/spec.js';
import { squareFraction, squareQueries, squareSide } from '../attacks/square.js';
import { blockWindowsL2, onSphere, squareQueriesL2, squareSideL2, squareStartL2 } from '../attacks/square-l2.js';
import type { Split } from '../data/dataset.js';
import { floatRows, int64Labels } from '../data/selection.js';
import * as o from '../engine/ops.js';
import { type Key, fold, uniform } from '../engine/rng.js';
import { type TypedArray, compile } from '../engine/runtime.js';
import { usageError } from '../errors.js';
import { type AttackProgram, DEFAULT_ROWS, type RunnerOptions, checkFeatures, programCache, radiusPerRow, standingRows } from './attack-program.js';
import { type Architecture, denseFirstOf } from './model.js';
import { batchBucket, compileLogits, mean } from './predict.js';

/** Queries per session run (and per draw of an example's random numbers). */
export const SQUARE_BLOCK = 20;
/** AutoAttack's default fraction of the image the first windows cover. */
export const SQUARE_P_INIT = 0.8;

/** The image shape [C, H, W] an architecture takes: its own, else a square single-channel image. */
export function imageOf(arch: Architecture): [number, number, number] {
  if (arch.image) return [...arch.image];
  const side = Math.round(Math.sqrt(arch.inputs));
  if (side * side === arch.inputs) return [1, side, side];
  throw usageError(`Square needs the model's image shape: it takes ${arch.inputs} values per example, not a square image`);
}

export async function compileSquare(arch: Architecture, spec: SquareAttack, opts: RunnerOptions = {}): Promise<AttackProgram> {
  const image = imageOf(arch);
  const [c, h, w] = image;
  const f = arch.inputs;
  const rows = opts.rows ?? DEFAULT_ROWS;
  const programs = programCache<string>();
  // The architecture's own dense-first-layer split, if it made one (a wrapper has none unless it opts in).
  const denseFirst = denseFirstOf(arch);
  /** The L∞ block's program; `band` > 0: the dense-first-layer form, updating x·W from `band` pixels per channel. */
  const programFor = (batch: number, k: number, band: number) =>
    programs.get(`${batch}×${k}×${band}`, () => {
      const x = o.input('x', [batch, f]);
      const dense = band ? { ...denseFirst!(), bandStart: o.input('bandStart', [k, c], 'int64'), band } : undefined;
      const out = squareQueries({
        x,
        eps: o.input('eps', [batch, 1]),
        onehot: o.oneHot(o.input('y', [batch], 'int64'), arch.classes),
        logits: dense ? undefined : arch.trace(),
        best: o.input('best', [batch, f]),
        margin: o.input('margin', [batch]),
        loss: o.input('loss', [batch]),
        pattern: o.input('pattern', [k, f]),
        dense,
      });
      return compile({ outputs: { nextBest: out.best, nextMargin: out.margin, nextLoss: out.loss }, threads: opts.threads });
    });
  /** The L2 block's program. */
  const programForL2 = (batch: number, k: number) =>
    programs.get(`l2 ${batch}×${k}`, () => {
      const pixels = [k, h * w];
      const out = squareQueriesL2({
        x: o.input('x', [batch, f]),
        image,
        eps: o.input('eps', [batch, 1]),
        onehot: o.oneHot(o.input('y', [batch], 'int64'), arch.classes),
        logits: arch.trace(),
        best: o.input('best', [batch, f]),
        margin: o.input('margin', [batch]),
        loss: o.input('loss', [batch]),
        window1: o.input('window1', pixels),
        windows: o.input('windows', pixels),
        eta: o.input('eta', pixels),
        signs: o.input('signs', [batch, k * c]),
      });
      return compile({ outputs: { nextBest: out.best, nextMargin: out.margin, nextLoss: out.loss }, threads: opts.threads });
    });
  const logits = await compileLogits(arch, opts);
  // The start's margins: logits of the start points, then z_y − max_{j≠y} z_j.
  const marginsOf = async (model: Parameters<AttackProgram['run']>[0], points: Float32Array, labels: ArrayLike<number>, n: number) => {
    const z = await logits.run(model, points, n);
    const k = arch.classes;
    return Float32Array.from({ length: n }, (_, i) => {
      const zi = z.subarray(i * k, (i + 1) * k);
      let other = -Infinity;
      for (let j = 0; j < k; j++) if (j !== labels[i] && zi[j] > other) other = zi[j];
      return zi[labels[i]] - other;
    });
  };
  return {
    spec,
    async run(model, data: Split, eps, key: Key, ids) {
      const id = (i: number) => (ids ? ids[i] : i);
      checkFeatures(spec, arch, data);
      const n = data.count;
      const radius = radiusPerRow(spec, eps, n, f);
      const x = floatRows(data, 0, n);
      const best = Float32Array.from(x);
      const margin = await marginsOf(model, x, data.labels, n);
      const standing = Uint8Array.from(margin, (m) => (m > 0 ? 1 : 0));
      const queries = spec.queries;
      const rescaleTo = spec.rescale ? queries : undefined;
      const delta = new Float64Array(f);
      for (let r = 0; r < spec.restarts; r++) {
        const restartKey = fold(key, r);
        let todo = standingRows(standing);
        // The start: L∞, vertical stripes of ±ε (a sign per column and channel); L2, tiles of eta on the sphere.
        for (const i of todo) {
          const startKey = fold(fold(restartKey, 0), id(i));
          if (spec.norm === 'l2') {
            const u = uniform(startKey, l2Tiles(image) * (c + 1));
            squareStartL2(delta, image, (tile, ch) => (u[tile * (c + 1) + ch] > 0.5 ? 1 : -1), (tile) => u[tile * (c + 1) + c] > 0.5);
            onSphere(x.subarray(i * f, (i + 1) * f), delta, radius[i], best.subarray(i * f, (i + 1) * f));
            continue;
          }
          const u = uniform(startKey, c * w);
          for (let ch = 0; ch < c; ch++)
            for (let row = 0; row < h; row++)
              for (let col = 0; col < w; col++) {
                const p = i * f + ch * h * w + row * w + col;
                best[p] = Math.min(1, Math.max(0, x[p] + (u[ch * w + col] > 0.5 ? radius[i] : -radius[i])));
              }
        }
        const startMargin = await marginsOf(model, subRows(best, todo, f), todo.map((i) => data.labels[i]), todo.length);
        todo.forEach((i, j) => (margin[i] = startMargin[j]));
        todo = todo.filter((i) => margin[i] > 0);
        const loss = Float32Array.from(margin);
        for (let t = 0; t < queries && todo.length; t += SQUARE_BLOCK) {
          const k = Math.min(SQUARE_BLOCK, queries - t);
          const blockKey = fold(fold(restartKey, 1), t / SQUARE_BLOCK);
          // The block's windows (and L∞'s signs), the same for every example (AutoAttack draws one per query).
          const block = spec.norm === 'l2' ? l2Block(t, k, blockKey) : blockWindows(t, k, image, blockKey, denseFirst !== undefined, rescaleTo);
          for (let at = 0; at < todo.length; at += rows) {
            const chunk = todo.slice(at, at + rows);
            const batch = batchBucket(chunk.length, rows, 8);
            const feeds = blockFeeds(chunk, batch, { x, best, margin, loss, radius, labels: data.labels, f });
            let out;
            if ('window1' in block) {
              // L2's signs: each example's own, per query and channel.
              const signs = new Float32Array(batch * k * c);
              chunk.forEach((i, j) => uniform(fold(fold(blockKey, 1), id(i)), k * c).forEach((v, at) => (signs[j * k * c + at] = v > 0.5 ? 1 : -1)));
              out = await (await programForL2(batch, k)).run({ ...feeds, window1: block.window1, windows: block.windows, eta: block.eta, signs, ...model.params });
            } else out = await (await programFor(batch, k, block.band)).run({ ...feeds, pattern: block.pattern, ...(block.band ? { bandStart: block.bandStart } : {}), ...model.params });
            const [b2, m2, l2] = [out.nextBest as Float32Array, out.nextMargin as Float32Array, out.nextLoss as Float32Array];
            chunk.forEach((i, j) => {
              best.set(b2.subarray(j * f, (j + 1) * f), i * f);
              margin[i] = m2[j];
              loss[i] = l2[j];
            });
          }
          todo = todo.filter((i) => margin[i] > 0);
        }

        /** L2: the windows of k queries from query t (sides on AutoAttack's schedule, corners and the pattern's orientation drawn per query). */
        function l2Block(t: number, k: number, blockKey: Key) {
          const sides = Array.from({ length: k }, (_, q) => squareSideL2(squareFraction(t + q, SQUARE_P_INIT, rescaleTo), image));
          return blockWindowsL2(sides, uniform(fold(blockKey, 0), k * 5), image);
        }
        for (let i = 0; i < n; i++) if (standing[i] && margin[i] <= 0) standing[i] = 0;
      }
      return { robust: standing, adversarial: best, accuracy: mean(standing) };
    },
    async release() {
      await programs.release();
      await logits.release();
    },
  };
}

/** The L2 start's tiles: eta patterns of side ⌊h/5⌋ over the image. */
function l2Tiles([, h, w]: readonly [number, number, number]): number {
  const s = Math.max(1, Math.floor(h / 5));
  return Math.floor(h / s) * Math.floor(w / s);
}

function subRows(all: Float32Array, rows: number[], f: number): Float32Array {
  const out = new Float32Array(rows.length * f);
  rows.forEach((i, j) => out.set(all.subarray(i * f, (i + 1) * f), j * f));
  return out;
}

/** One block's feeds for a chunk of examples (padding rows have margin 0: inactive, left as they are). */
function blockFeeds(
  chunk: number[],
  batch: number,
  s: { x: Float32Array; best: Float32Array; margin: Float32Array; loss: Float32Array; radius: Float32Array; labels: Uint8Array; f: number },
): Record<string, TypedArray> {
  const { f } = s;
  const x = new Float32Array(batch * f);
  const best = new Float32Array(batch * f);
  const margin = new Float32Array(batch);
  const loss = new Float32Array(batch);
  const eps = new Float32Array(batch);
  const y = new BigInt64Array(batch);
  int64Labels(s.labels, chunk, y);
  chunk.forEach((i, j) => {
    x.set(s.x.subarray(i * f, (i + 1) * f), j * f);
    best.set(s.best.subarray(i * f, (i + 1) * f), j * f);
    margin[j] = s.margin[i];
    loss[j] = s.loss[i];
    eps[j] = s.radius[i];
  });
  return { x, best, margin, loss, eps, y };
}

/**
 * The windows of L∞ queries t..t+k−1: their ±1 patterns [k, F], and for the dense-first-layer form the
 * band of whole image rows holding each window (`band` pixels per channel, the block's largest window's
 * rows; 0 where the band would be over half the image and the plain form is cheaper).
 */
function blockWindows(t: number, k: number, [c, h, w]: readonly [number, number, number], blockKey: Key, dense: boolean, rescaleTo?: number) {
  const f = c * h * w;
  const pattern = new Float32Array(k * f);
  const sides = Array.from({ length: k }, (_, q) => squareSide(t + q, SQUARE_P_INIT, [c, h, w], rescaleTo));
  const tallest = Math.max(...sides);
  const band = dense && tallest * w * 2 <= h * w ? tallest * w : 0;
  const bandStart = new BigInt64Array(k * c);
  const u = uniform(blockKey, k * (2 + c));
  for (let q = 0; q < k; q++) {
    const side = sides[q];
    const row = Math.floor(u[q * (2 + c)] * (h - side));
    const col = Math.floor(u[q * (2 + c) + 1] * (w - side));
    for (let ch = 0; ch < c; ch++) {
      const sign = u[q * (2 + c) + 2 + ch] > 0.5 ? 1 : -1;
      for (let r = row; r < row + side; r++) pattern.fill(sign, q * f + ch * h * w + r * w + col, q * f + ch * h * w + r * w + col + side);
      bandStart[q * c + ch] = BigInt(ch * h * w + Math.min(row, h - tallest) * w);
    }
  }
  return { pattern, bandStart, band };
}
