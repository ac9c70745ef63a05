// The float64 reference interpreter of the IR: slow, plain and independent of ONNX Runtime.
import type { ComputedOp, PoolAttrs } from './op-attrs.js';
import { type Node, type Tensor, ShapeError, elementCount, showShape, topoSort } from './tensor.js';

export interface NDArray {
  shape: number[];
  data: Float64Array;
}

const size = elementCount;

function strides(s: readonly number[]): number[] {
  const r = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    r[i] = acc;
    acc *= s[i];
  }
  return r;
}

/** For each flat index of `out`, the flat index into an array of shape `src` broadcast to it. */
function broadcastIndex(src: readonly number[], out: readonly number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const lead = out.length - src.length;
  const ss = strides(src);
  const os = strides(out);
  for (let k = 0; k < n; k++) {
    let rem = k;
    let j = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / os[d]);
      rem -= c * os[d];
      if (d >= lead && src[d - lead] !== 1) j += c * ss[d - lead];
    }
    idx[k] = j;
  }
  return idx;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    return da === 1 ? db : da;
  });
}

function zip(arrs: NDArray[], f: (...v: number[]) => number): NDArray {
  const shape = arrs.reduce<number[]>((s, a) => broadcastShape(s, a.shape), []);
  const idx = arrs.map((a) => broadcastIndex(a.shape, shape));
  const out = new Float64Array(size(shape));
  const vals = new Array<number>(arrs.length);
  for (let k = 0; k < out.length; k++) {
    for (let j = 0; j < arrs.length; j++) vals[j] = arrs[j].data[idx[j][k]];
    out[k] = f(...vals);
  }
  return { shape, data: out };
}

const map = (a: NDArray, f: (v: number) => number): NDArray => ({ shape: a.shape, data: a.data.map(f) });

/** View `a` as [outer, axis, inner] around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [size(shape.slice(0, axis)), shape[axis], size(shape.slice(axis + 1))];
}

function reduce(a: NDArray, axes: number[], keepdims: boolean, init: number, f: (acc: number, v: number) => number, fin = (v: number, _n: number) => v): NDArray {
  const kept = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept)).fill(init);
  const idx = broadcastIndex(kept, a.shape);
  for (let k = 0; k < a.data.length; k++) out[idx[k]] = f(out[idx[k]], a.data[k]);
  const n = size(axes.map((i) => a.shape[i]));
  for (let k = 0; k < out.length; k++) out[k] = fin(out[k], n);
  return { shape: keepdims ? kept : a.shape.filter((_, i) => !axes.includes(i)), data: out };
}

function alongAxis(a: NDArray, axis: number, f: (row: number[]) => number[]): NDArray {
  const [outer, n, inner] = around(a.shape, axis);
  const out = new Float64Array(a.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const row = Array.from({ length: n }, (_, j) => a.data[(o * n + j) * inner + i]);
      f(row).forEach((v, j) => (out[(o * n + j) * inner + i] = v));
    }
  return { shape: a.shape, data: out };
}

function logSumExp(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Flat index of the first maximum (row by row) of each pooling window over the cells inside x; the pooled shape. */
function poolArgmax(a: Readonly<PoolAttrs>, x: NDArray): { shape: number[]; at: Int32Array } {
  const { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] } = a;
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h + pt + pb - kh) / sh) + 1;
  const wo = Math.floor((w + pl + pr - kw) / sw) + 1;
  const at = new Int32Array(n * c * ho * wo);
  let k = 0;
  for (let m = 0; m < n * c; m++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let best = -1;
        for (let p = 0; p < kh; p++)
          for (let q = 0; q < kw; q++) {
            const r = i * sh + p - pt;
            const s = j * sw + q - pl;
            if (r < 0 || r >= h || s < 0 || s >= w) continue;
            const idx = (m * h + r) * w + s;
            if (best < 0 || x.data[idx] > x.data[best]) best = idx;
          }
        at[k++] = best;
      }
  return { shape: [n, c, ho, wo], at };
}

/** The value of `t` from its inputs' values. */
type Kernel<K extends ComputedOp> = (t: Node<K>, ins: NDArray[]) => NDArray;

/** One kernel per computed op: a missing one is a compile error. */
export const KERNELS: { readonly [K in ComputedOp]: Kernel<K> } = {
  add: (_t, [a, b]) => zip([a, b], (x, y) => x + y),
  sub: (_t, [a, b]) => zip([a, b], (x, y) => x - y),
  mul: (_t, [a, b]) => zip([a, b], (x, y) => x * y),
  div: (_t, [a, b]) => zip([a, b], (x, y) => x / y),
  pow: (_t, [a, b]) => zip([a, b], (x, y) => Math.pow(x, y)),
  maximum: (_t, [a, b]) => zip([a, b], (x, y) => Math.max(x, y)),
  minimum: (_t, [a, b]) => zip([a, b], (x, y) => Math.min(x, y)),
  greater: (_t, [a, b]) => zip([a, b], (x, y) => +(x > y)),
  less: (_t, [a, b]) => zip([a, b], (x, y) => +(x < y)),
  greaterOrEqual: (_t, [a, b]) => zip([a, b], (x, y) => +(x >= y)),
  lessOrEqual: (_t, [a, b]) => zip([a, b], (x, y) => +(x <= y)),
  equal: (_t, [a, b]) => zip([a, b], (x, y) => +(x === y)),
  where: (_t, [c, a, b]) => zip([c, a, b], (k, x, y) => (k ? x : y)),
  neg: (_t, [a]) => map(a, (x) => -x),
  exp: (_t, [a]) => map(a, Math.exp),
  log: (_t, [a]) => map(a, Math.log),
  sqrt: (_t, [a]) => map(a, Math.sqrt),
  relu: (_t, [a]) => map(a, (x) => (x > 0 ? x : 0)),
  leakyRelu: (t, [a]) => map(a, (x) => (x > 0 ? x : t.attrs.alpha * x)),
  sigmoid: (_t, [a]) => map(a, (x) => 1 / (1 + Math.exp(-x))),
  tanh: (_t, [a]) => map(a, Math.tanh),
  sign: (_t, [a]) => map(a, Math.sign),
  abs: (_t, [a]) => map(a, Math.abs),
  stopGradient: (_t, [a]) => a,
  randomNormalLike: (t, [a]) => ({ shape: a.shape, data: normals(t.attrs.seed, a.data.length) }),
  clip: (t, [a]) => {
    const { min = -Infinity, max = Infinity } = t.attrs;
    return map(a, (x) => Math.min(max, Math.max(min, x)));
  },
  cast: (t, [a]) => map(a, t.dtype === 'int64' ? Math.trunc : t.dtype === 'bool' ? (x) => +(x !== 0) : (x) => x),
  reduceSum: (t, [a]) => reduce(a, t.attrs.axes, t.attrs.keepdims, 0, (s, v) => s + v),
  reduceMean: (t, [a]) => reduce(a, t.attrs.axes, t.attrs.keepdims, 0, (s, v) => s + v, (s, n) => s / n),
  reduceMax: (t, [a]) => reduce(a, t.attrs.axes, t.attrs.keepdims, -Infinity, Math.max),
  softmax: (t, [a]) =>
    alongAxis(a, t.attrs.axis, (row) => {
      const l = logSumExp(row);
      return row.map((v) => Math.exp(v - l));
    }),
  logSoftmax: (t, [a]) =>
    alongAxis(a, t.attrs.axis, (row) => {
      const l = logSumExp(row);
      return row.map((v) => v - l);
    }),
  argmax: (t, [a]) => {
    const axis = t.attrs.axis;
    const [outer, n, inner] = around(a.shape, axis);
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let j = 1; j < n; j++) if (a.data[(o * n + j) * inner + i] > a.data[(o * n + best) * inner + i]) best = j;
        out[o * inner + i] = best;
      }
    const shape = a.shape.flatMap((d, i) => (i !== axis ? [d] : t.attrs.keepdims ? [1] : []));
    return { shape, data: out };
  },
  oneHot: (t, [a]) => {
    const depth = t.attrs.depth;
    const out = new Float64Array(a.data.length * depth);
    a.data.forEach((v, k) => {
      if (v >= 0 && v < depth) out[k * depth + v] = 1;
    });
    return { shape: [...a.shape, depth], data: out };
  },
  matmul: (t, [a, b, c]) => {
    const { transA, transB } = t.attrs;
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
    const n = transB ? b.shape[0] : b.shape[1];
    const A = (i: number, p: number) => (transA ? a.data[p * m + i] : a.data[i * k + p]);
    const B = (p: number, j: number) => (transB ? b.data[j * k + p] : b.data[p * n + j]);
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
        out[i * n + j] = s;
      }
    return c ? zip([{ shape: [m, n], data: out }, c], (p, q) => p + q) : { shape: [m, n], data: out };
  },
  reshape: (t, [a]) => {
    // A named dim kept from the input takes the input's size there; at most one other is left over.
    const from = t.inputs[0].shape;
    const known = t.shape.map((d) => (typeof d === 'number' ? d : from.includes(d) ? a.shape[from.indexOf(d)] : -1));
    const rest = a.data.length / size(known.filter((d) => d >= 0));
    return { shape: known.map((d) => (d >= 0 ? d : rest)), data: a.data };
  },
  transpose: (t, [a]) => {
    const perm = t.attrs.perm;
    const shape = perm.map((p) => a.shape[p]);
    const src = strides(a.shape);
    const os = strides(shape);
    const out = new Float64Array(a.data.length);
    for (let k = 0; k < out.length; k++) {
      let rem = k;
      let j = 0;
      for (let d = 0; d < shape.length; d++) {
        const c = Math.floor(rem / os[d]);
        rem -= c * os[d];
        j += c * src[perm[d]];
      }
      out[k] = a.data[j];
    }
    return { shape, data: out };
  },
  concat: (t, ins) => {
    const axis = t.attrs.axis;
    const shape = [...ins[0].shape];
    shape[axis] = ins.reduce((s, a) => s + a.shape[axis], 0);
    const [outer, n, inner] = around(shape, axis);
    const out = new Float64Array(size(shape));
    let at = 0;
    for (const a of ins) {
      const d = a.shape[axis];
      for (let o = 0; o < outer; o++) out.set(a.data.subarray(o * d * inner, (o + 1) * d * inner), (o * n + at) * inner);
      at += d;
    }
    return { shape, data: out };
  },
  slice: (t, [a]) => {
    const { axis, start, end } = t.attrs;
    const [outer, n, inner] = around(a.shape, axis);
    const d = end - start;
    const out = new Float64Array(outer * d * inner);
    for (let o = 0; o < outer; o++) out.set(a.data.subarray((o * n + start) * inner, (o * n + end) * inner), o * d * inner);
    const shape = [...a.shape];
    shape[axis] = d;
    return { shape, data: out };
  },
  sliceAt: (t, [a, s]) => {
    const { axis, length } = t.attrs;
    const [outer, n, inner] = around(a.shape, axis);
    const start = s.data[0];
    if (!(start >= 0 && start <= n - length)) throw new ShapeError(`sliceAt: start ${start} + length ${length} leaves axis ${axis} of ${showShape(a.shape)}`);
    const out = new Float64Array(outer * length * inner);
    for (let o = 0; o < outer; o++) out.set(a.data.subarray((o * n + start) * inner, (o * n + start + length) * inner), o * length * inner);
    const shape = [...a.shape];
    shape[axis] = length;
    return { shape, data: out };
  },
  padAt: (t, [a, b]) => {
    const { axis, size } = t.attrs;
    const [outer, d, inner] = around(a.shape, axis);
    const before = b.data[0];
    if (!(before >= 0 && before <= size - d)) throw new ShapeError(`padAt: ${d} elements at ${before} leave ${size} on axis ${axis}`);
    const out = new Float64Array(outer * size * inner);
    for (let o = 0; o < outer; o++) out.set(a.data.subarray(o * d * inner, (o + 1) * d * inner), (o * size + before) * inner);
    const shape = [...a.shape];
    shape[axis] = size;
    return { shape, data: out };
  },
  pad: (t, [a]) => {
    const { axis, before, after } = t.attrs;
    const [outer, d, inner] = around(a.shape, axis);
    const n = d + before + after;
    const out = new Float64Array(outer * n * inner);
    for (let o = 0; o < outer; o++) out.set(a.data.subarray(o * d * inner, (o + 1) * d * inner), (o * n + before) * inner);
    const shape = [...a.shape];
    shape[axis] = n;
    return { shape, data: out };
  },
  expandAs: (_t, [a, like]) => {
    const idx = broadcastIndex(a.shape, like.shape);
    return { shape: like.shape, data: Float64Array.from(idx, (j) => a.data[j]) };
  },
  dimSize: (t, [a]) => ({ shape: [], data: Float64Array.of(a.shape[t.attrs.axis]) }),
  // y[n, o, i, j] = b[o] + Σ_{c, p, q} x[n, g·C/G + c, i·sh + p·dh − pt, j·sw + q·dw − pl] · w[o, c, p, q], g = o's group.
  conv2d: (t, [x, w, b]) => {
    const { strides: [sh, sw], pads: [pt, pl], dilations: [dh, dw], group } = t.attrs;
    const [n, c, h, wd] = x.shape;
    const [oc, cg, kh, kw] = w.shape;
    const [ho, wo] = t.shape.slice(2) as number[];
    const out = new Float64Array(n * oc * ho * wo);
    let k = 0;
    for (let m = 0; m < n; m++)
      for (let o = 0; o < oc; o++) {
        const first = Math.floor(o / (oc / group)) * cg;
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++) {
            let sum = b ? b.data[o] : 0;
            for (let ci = 0; ci < cg; ci++)
              for (let p = 0; p < kh; p++)
                for (let q = 0; q < kw; q++) {
                  const r = i * sh + p * dh - pt;
                  const s = j * sw + q * dw - pl;
                  if (r >= 0 && r < h && s >= 0 && s < wd) sum += x.data[((m * c + first + ci) * h + r) * wd + s] * w.data[((o * cg + ci) * kh + p) * kw + q];
                }
            out[k++] = sum;
          }
      }
    return { shape: [n, oc, ho, wo], data: out };
  },
  // Each x[n, c, a, b] adds x · w[c, o, p, q] to y[n, g·O/G + o, a·sh + p·dh − pt, b·sw + q·dw − pl] (when inside y).
  convTranspose2d: (t, [x, w]) => {
    const { strides: [sh, sw], pads: [pt, pl], dilations: [dh, dw], group } = t.attrs;
    const [n, c, h, wd] = x.shape;
    const [, og, kh, kw] = w.shape;
    const [oc, ho, wo] = t.shape.slice(1) as number[];
    const out = new Float64Array(n * oc * ho * wo);
    for (let m = 0; m < n; m++)
      for (let ci = 0; ci < c; ci++) {
        const first = Math.floor(ci / (c / group)) * og;
        for (let a = 0; a < h; a++)
          for (let bb = 0; bb < wd; bb++) {
            const v = x.data[((m * c + ci) * h + a) * wd + bb];
            for (let o = 0; o < og; o++)
              for (let p = 0; p < kh; p++)
                for (let q = 0; q < kw; q++) {
                  const r = a * sh + p * dh - pt;
                  const s = bb * sw + q * dw - pl;
                  if (r >= 0 && r < ho && s >= 0 && s < wo) out[((m * oc + first + o) * ho + r) * wo + s] += v * w.data[((ci * og + o) * kh + p) * kw + q];
                }
          }
      }
    return { shape: [n, oc, ho, wo], data: out };
  },
  maxPool2d: (t, [x]) => {
    const { shape, at } = poolArgmax(t.attrs, x);
    return { shape, data: Float64Array.from(at, (i) => x.data[i]) };
  },
  maxPoolGrad: (t, [x, g]) => {
    const { at } = poolArgmax(t.attrs, x);
    const out = new Float64Array(x.data.length);
    at.forEach((i, k) => (out[i] += g.data[k]));
    return { shape: x.shape, data: out };
  },
  maxPoolPick: (t, [x, c]) => {
    const { shape, at } = poolArgmax(t.attrs, x);
    return { shape, data: Float64Array.from(at, (i) => c.data[i]) };
  },
  avgPool2d: (t, [x]) => {
    const { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl], countIncludePad } = t.attrs;
    const [n, c, h, w] = x.shape;
    const [ho, wo] = t.shape.slice(2) as number[];
    const out = new Float64Array(n * c * ho * wo);
    let k = 0;
    for (let m = 0; m < n * c; m++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          let cells = 0;
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const r = i * sh + p - pt;
              const s = j * sw + q - pl;
              if (r < 0 || r >= h || s < 0 || s >= w) continue;
              sum += x.data[(m * h + r) * w + s];
              cells++;
            }
          out[k++] = sum / (countIncludePad ? kh * kw : cells);
        }
    return { shape: [n, c, ho, wo], data: out };
  },
};

export type Feed = NDArray | ArrayLike<number>;

/** Bind a feed to an input, resolving named dims (consistently across all inputs). */
function bindInput(t: Tensor<'input'>, feed: Feed | undefined, dims: Map<string, number>): NDArray {
  const name = t.attrs.name;
  if (feed === undefined) throw new ShapeError(`reference: missing feed '${name}' of shape ${showShape(t.shape)}`);
  const data = Float64Array.from('data' in feed ? feed.data : feed);
  let shape: number[];
  if ('shape' in feed && 'data' in feed) shape = [...feed.shape];
  else {
    const known = t.shape.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
    const open = t.shape.filter((d) => typeof d === 'string' && !dims.has(d));
    const fixed = t.shape.reduce<number>((p, d) => (typeof d === 'string' && dims.has(d) ? p * dims.get(d)! : p), known);
    if (open.length > 1) throw new ShapeError(`reference: feed '${name}' needs an explicit shape for ${showShape(t.shape)}`);
    if (open.length === 1) dims.set(open[0] as string, data.length / fixed);
    shape = t.shape.map((d) => (typeof d === 'number' ? d : dims.get(d)!));
  }
  const ok = shape.length === t.shape.length && size(shape) === data.length && Number.isInteger(size(shape));
  if (!ok || shape.some((d, i) => (typeof t.shape[i] === 'number' ? d !== t.shape[i] : dims.has(t.shape[i] as string) && dims.get(t.shape[i] as string) !== d)))
    throw new ShapeError(`reference: feed '${name}' has ${data.length} values (shape ${showShape(shape)}); expected ${showShape(t.shape)}`);
  t.shape.forEach((d, i) => typeof d === 'string' && dims.set(d, shape[i]));
  return { shape, data };
}

/** Evaluate `outputs` in float64 given feeds for the inputs they reach. */
export function evaluate(outputs: readonly Tensor[], feeds: Readonly<Record<string, Feed>>): NDArray[] {
  const vals = new Map<number, NDArray>();
  const dims = new Map<string, number>();
  for (const t of topoSort(outputs)) {
    if (t.op === 'input') vals.set(t.id, bindInput(t, feeds[t.attrs.name], dims));
    else if (t.op === 'constant') vals.set(t.id, { shape: t.shape as number[], data: t.attrs.value });
    else vals.set(t.id, run(t, t.inputs.map((i) => vals.get(i.id)!)));
  }
  return outputs.map((o) => vals.get(o.id)!);
}

/** `t`'s kernel on its inputs' values (generic in K so the kernel and the node are of one op). */
function run<K extends ComputedOp>(t: Node<K>, ins: NDArray[]): NDArray {
  const kernel: Kernel<K> = KERNELS[t.op];
  return kernel(t, ins);
}

/** Standard normal numbers from a seed (Box–Muller over a 32-bit LCG): the reference's own, not ONNX Runtime's. */
function normals(seed: number, n: number): Float64Array {
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const u = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
