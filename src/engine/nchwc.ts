// Convolutions on ONNX Runtime's blocked-layout kernels (NCHWc): where the runtime has them, conv2d, its
// input gradient and the ops between convolutions are emitted on blocked values, and values change layout
// only where an op needs the standard one. Semantics are the IR's: only the emitted ONNX differs.
//
// Why: with weights fed as inputs (a training graph's weights are), ONNX Runtime's Conv runs im2col and a
// small GEMM per image and its transposed convolution a Col2Im on one thread. Its blocked Conv
// (com.microsoft.nchwc, what its optimizer uses for constant weights) takes the filter as any input, so
// the graph reorders the filter itself. Measured on cnn-small's conv2 at batch 128, 2 threads (kernel
// time): Conv 1.57 ms, blocked Conv 1.05 ms; input gradient MatMul + Col2Im 2.5–3.1 ms, four blocked
// phase convolutions interleaved 1.8 ms (bench/conv.ts prints the whole table).
import { type Attr, type EmittedModel, Emitter, NCHWC_DOMAIN, finishModel, poolAttributes } from './onnx-emitter.js';
import { scalarValue } from './ops.js';
import { type Tensor, isFloat, staticSize } from './tensor.js';

/** How convolutions are emitted: `block` is the NCHWc block size of the runtime's kernels, 0 for standard ONNX. */
export interface Lowering {
  block: number;
}

export const STANDARD: Lowering = { block: 0 };

/** Emits an op on standard-layout value names (the ONNX emission table's rule). */
export type EmitRule = (ins: string[], out: string) => void;

/**
 * The emitted values of the traced tensors, in the standard layout, the blocked one, or both; a layout
 * is made from the other the first time it is asked for (ReorderInput / ReorderOutput), once.
 */
export class Layouts {
  private readonly standard = new Map<number, string>();
  private readonly blockedNames = new Map<number, string>();
  /** Values derived once per graph: blocked filters of a weight, a pooled maximum. */
  private readonly derived = new Map<string, string>();

  /** Convolutions whose blocked value has their activation applied (see fusedActivation). */
  readonly activated = new Set<number>();

  constructor(
    readonly e: Emitter,
    readonly block: number,
    /** The graph output a tensor is, so its standard value gets that name. */
    private readonly outputName: (t: Tensor) => string | undefined,
    /** The nodes that take t as an input. */
    readonly users: (t: Tensor) => readonly Tensor[],
  ) {}

  isOutput(t: Tensor): boolean {
    return this.outputName(t) !== undefined;
  }

  nameFor(t: Tensor): string {
    return this.outputName(t) ?? `${this.e.prefix}v${t.id}`;
  }

  setStandard(t: Tensor, name: string): void {
    this.standard.set(t.id, name);
  }

  setBlocked(t: Tensor, name: string): void {
    this.blockedNames.set(t.id, name);
  }

  hasBlocked(t: Tensor): boolean {
    return this.blockedNames.has(t.id);
  }

  /** The standard (NCHW) value of t. */
  plain(t: Tensor): string {
    const have = this.standard.get(t.id);
    if (have !== undefined) return have;
    const b = this.blockedNames.get(t.id);
    if (b === undefined) throw new Error(`onnx: tensor ${t.id} (${t.op}) has no emitted value`);
    const out = this.nameFor(t);
    const channels = t.shape[1] as number;
    if (isFloat(t.dtype)) this.e.node('ReorderOutput', [b], [out], [{ name: 'channels', i: channels }], NCHWC_DOMAIN);
    else {
      // ReorderOutput moves floats only: a blocked mask goes through float and back.
      const [f, r] = [this.e.temp(), this.e.temp()];
      this.e.node('Cast', [b], [f], [{ name: 'to', i: 1 }]);
      this.e.node('ReorderOutput', [f], [r], [{ name: 'channels', i: channels }], NCHWC_DOMAIN);
      this.e.node('Cast', [r], [out], [{ name: 'to', i: 9 }]);
    }
    this.standard.set(t.id, out);
    return out;
  }

  /** The blocked value of t (a float [N, C, H, W] with C a multiple of the block, or a mask already blocked). */
  blocked(t: Tensor): string {
    const have = this.blockedNames.get(t.id);
    if (have !== undefined) return have;
    const out = `${this.e.prefix}b${t.id}`;
    this.e.node('ReorderInput', [this.plain(t)], [out], [], NCHWC_DOMAIN);
    this.blockedNames.set(t.id, out);
    return out;
  }

  /** x max-pooled with these attributes on blocked values, emitted once (the gradient reuses the forward pass's). */
  pooled(x: Tensor, attrs: readonly Attr[], make: () => string): string {
    const k = `${x.id}|pool ${JSON.stringify(attrs)}`;
    let name = this.derived.get(k);
    if (name === undefined) this.derived.set(k, (name = make()));
    return name;
  }

  /** A filter derived from a weight tensor, made once per graph (the attack steps of one update share it). */
  filter(w: Tensor, key: string, make: (flat: () => string) => string): string {
    const k = `${w.id}|${key}`;
    let name = this.derived.get(k);
    if (name === undefined) {
      name = make(() => this.filter(w, 'flat+0', () => this.flatWithZero(w)));
      this.derived.set(k, name);
    }
    return name;
  }

  /** w's elements in a row with one 0 after them: gathering index `size` gives a padding zero. */
  private flatWithZero(w: Tensor): string {
    const [flat, out] = [this.e.temp(), this.e.temp()];
    this.e.node('Reshape', [this.plain(w), this.e.small('int64', [1], [-1])], [flat]);
    this.e.node('Concat', [flat, this.e.small(w.dtype, [1], [0])], [out], [{ name: 'axis', i: 0 }]);
    return out;
  }
}

const channelsOf = (t: Tensor) => t.shape[1];

/** Rank 4, float, static channels, height and width. */
function isImage(t: Tensor): boolean {
  return t.shape.length === 4 && t.dtype === 'float32' && t.shape.slice(1).every((d) => typeof d === 'number');
}

/** Channels the blocked kernels take as input: a multiple of the block (blocked) or fewer than a block (standard layout). */
const takesChannels = (c: number, block: number) => c % block === 0 || c < block;

// ---- filters ------------------------------------------------------------------------------------------

/**
 * The gather index that builds a blocked filter [O', C', kh, kw] from a weight tensor flattened with a 0
 * appended: `at(o, c, i, j)` is the flat position of that element (the weight's size for a padding zero). Layout OIHWBiBo when C' is a multiple
 * of the block (blocked input), OIHWBo when C' is below it (standard-layout input), as MLAS's reorders.
 */
function blockedFilterIndex(o: number, c: number, kh: number, kw: number, block: number, at: (o: number, c: number, i: number, j: number) => number): number[] {
  const idx: number[] = [];
  for (let ob = 0; ob < o / block; ob++) {
    if (c < block) {
      for (let ci = 0; ci < c; ci++)
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let oi = 0; oi < block; oi++) idx.push(at(ob * block + oi, ci, i, j));
      continue;
    }
    for (let cb = 0; cb < c / block; cb++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let ci = 0; ci < block; ci++) for (let oi = 0; oi < block; oi++) idx.push(at(ob * block + oi, cb * block + ci, i, j));
  }
  return idx;
}

function gatherFilter(L: Layouts, flat: string, dims: number[], idx: number[]): string {
  const e = L.e;
  const [picked, out] = [e.temp(), e.temp()];
  e.node('Gather', [flat, e.small('int64', [idx.length], idx)], [picked], [{ name: 'axis', i: 0 }]);
  e.node('Reshape', [picked, e.small('int64', [4], dims)], [out]);
  return out;
}

/**
 * conv2d's weight [O, C, kh, kw] blocked, by transposes that each move one axis (ONNX Runtime's fast path:
 * a weight gradient's [32, 128, 7, 7] filter took 0.95 ms as one 6-D transpose, 0.16 ms as two such moves).
 * A weight that is itself a [1, 0, 2, 3] transpose (the weight gradient's, over the batch) is read from its
 * source, which is one move shorter (and ONNX Runtime would otherwise merge the transposes into a slow one).
 */
function forwardFilter(L: Layouts, w: Tensor): string {
  const [o, c, kh, kw] = w.shape as number[];
  const B = L.block;
  const kk = kh * kw;
  return L.filter(w, 'forward', () => {
    const e = L.e;
    const move = (v: string, dims: number[], perm: number[]) => {
      const [r, t] = [e.temp(), e.temp()];
      e.node('Reshape', [v, e.small('int64', [dims.length], dims)], [r]);
      e.node('Transpose', [r], [t], [{ name: 'perm', ints: perm }]);
      return t;
    };
    const m = (o / B) * (c / B);
    let v: string;
    if (c < B) v = move(L.plain(w), [o / B, B, c * kk], [0, 2, 1]); // OIHWBo: [O/B, C·kh·kw, Bo]
    else if (w.op === 'transpose' && w.attrs.perm.join() === '1,0,2,3') {
      // From [C, O, kk]: [C/B, Bi, O/B, Bo·kk] → [O/B, C/B, Bi, Bo·kk] → [·, kk, Bi·Bo]
      v = move(L.plain(w.inputs[0]), [c / B, B, o / B, B * kk], [2, 0, 1, 3]);
      v = move(v, [m, B * B, kk], [0, 2, 1]);
    } else {
      // OIHWBiBo from [O, C, kk]: [O/B, Bo, C/B, Bi·kk] → [O/B, C/B, Bo, Bi·kk] → [·, Bi·kk, Bo] → [·, kk, Bi, Bo]
      v = move(L.plain(w), [o / B, B, c / B, B * kk], [0, 2, 1, 3]);
      v = move(v, [m, B, B * kk], [0, 2, 1]);
      v = move(v, [m, B, kk, B], [0, 2, 1, 3]);
    }
    const out = e.temp();
    e.node('Reshape', [v, e.small('int64', [4], [o, c, kh, kw])], [out]);
    return out;
  });
}

/**
 * The activation a convolution can apply itself: when every user of its output is that activation or the
 * activation's mask (x > 0, which holds exactly where act(x) > 0), the output is never needed without it.
 */
function fusedActivation(L: Layouts, t: Tensor): Attr[] {
  if (L.isOutput(t)) return [];
  const users = L.users(t);
  const acts = users.filter((u): u is Tensor<'relu' | 'leakyRelu'> => u.op === 'relu' || u.op === 'leakyRelu');
  const kinds = new Set(acts.map((u) => (u.op === 'relu' ? 'relu' : `leakyRelu ${u.attrs.alpha}`)));
  const masks = users.filter((u) => u.op === 'greater' && u.inputs[0] === t && scalarValue(u.inputs[1]) === 0);
  if (kinds.size !== 1 || acts.length + masks.length !== users.length) return [];
  L.activated.add(t.id);
  const a = acts[0];
  return a.op === 'relu' ? [{ name: 'activation', s: 'Relu' }] : [{ name: 'activation', s: 'LeakyRelu' }, { name: 'activation_params', floats: [a.attrs.alpha] }];
}

function convNode(L: Layouts, x: string, filter: string, bias: string | undefined, a: { kernel: number[]; strides: readonly number[]; pads: readonly number[]; dilations: readonly number[] }, out: string, activation: Attr[] = []): void {
  const attrs: Attr[] = [
    ...activation,
    { name: 'kernel_shape', ints: a.kernel },
    { name: 'strides', ints: a.strides },
    { name: 'pads', ints: a.pads },
    { name: 'dilations', ints: a.dilations },
    { name: 'group', i: 1 },
  ];
  L.e.node('Conv', bias ? [x, filter, bias] : [x, filter], [out], attrs, NCHWC_DOMAIN);
}

// ---- conv2d ---------------------------------------------------------------------------------------------

/**
 * x [N, C, H, W] by w [O, C, kh, kw]: blocked when O is a multiple of the block and C is one or below it.
 * A batch below 4 (the weight gradient of a one-channel layer is a convolution of batch 1 over the batch's
 * channels) stays standard: MLAS splits the blocked work by image and filter block, and one image measured
 * 3× slower than the standard Conv (cnn-small's conv1 weight gradient: 2.7 against 0.8 ms).
 */
function conv2d(L: Layouts, t: Tensor<'conv2d'>): boolean {
  const [x, w, b] = t.inputs;
  const a = t.attrs;
  const B = L.block;
  const [n, c] = x.shape;
  const o = w.shape[0];
  if (a.group !== 1 || !isImage(x) || !isImage(w) || typeof o !== 'number' || o % B !== 0 || !takesChannels(c as number, B)) return false;
  if (typeof n === 'number' && n < 4) return false;
  const input = (c as number) < B ? L.plain(x) : L.blocked(x);
  const out = `${L.e.prefix}b${t.id}`;
  convNode(L, input, forwardFilter(L, w), b && L.plain(b), { kernel: w.shape.slice(2) as number[], strides: a.strides, pads: a.pads, dilations: a.dilations }, out, fusedActivation(L, t));
  L.setBlocked(t, out);
  return true;
}

// ---- the input gradient: convTranspose2d as stride² phase convolutions -------------------------------

interface Phase {
  /** First kernel tap of the phase (taps r, r + s, …), how many, and the input rows before the first output. */
  r: number;
  taps: number;
  padBegin: number;
  padEnd: number;
}

/**
 * One axis of a transposed convolution (stride s, kernel k, begin pad p, dilation 1) from n input cells to
 * `size` output cells, split by output phase a = i mod s: out[s·u + a] = Σ_t in[u + q − t] · w[r + s·t] with
 * r = (a + p) mod s, q = ⌊(a + p)/s⌋ — a stride-1 correlation with the phase's taps reversed. Every phase
 * makes ⌈size/s⌉ cells; null when a phase has no tap or would need negative padding.
 */
function phases(n: number, size: number, k: number, s: number, p: number): Phase[] | null {
  const cells = Math.ceil(size / s);
  const out: Phase[] = [];
  for (let a = 0; a < s; a++) {
    const r = (a + p) % s;
    const q = Math.floor((a + p) / s);
    const taps = Math.ceil((k - r) / s);
    const padBegin = taps - 1 - q;
    const padEnd = cells - (n + padBegin - taps + 1);
    if (taps < 1 || padBegin < 0 || padEnd < 0) return null;
    out.push({ r, taps, padBegin, padEnd });
  }
  return out;
}

/**
 * g [N, Cx, H, W] by w [Cx, Cy, kh, kw] (conv2d's input gradient): one blocked convolution per output phase,
 * each with its taps of w reversed and swapped in channels, interleaved along width then height by Concat
 * (the blocks stay whole: chunks of `block` floats), then cropped.
 */
function convTranspose2d(L: Layouts, t: Tensor<'convTranspose2d'>): boolean {
  const [g, w] = t.inputs;
  const a = t.attrs;
  const B = L.block;
  const [n, cx, h, wd] = g.shape;
  const [cy, kh, kw] = w.shape.slice(1) as number[];
  // Cy below the block would need zero filters padding it to a block: cnn-small's conv1 input gradient
  // (16 → 1 channels) measured 1.7 ms so against MatMul + Col2Im's 0.5 ms.
  if (a.group !== 1 || a.dilations.some((d) => d !== 1) || !isImage(g) || !isImage(w) || !takesChannels(cx as number, B) || cy % B !== 0) return false;
  if (typeof n === 'number' && n < 4) return false;
  const [ho, wo] = t.shape.slice(2) as number[];
  const [sh, sw] = a.strides;
  const rows = phases(h as number, ho, kh, sh, a.pads[0]);
  const cols = phases(wd as number, wo, kw, sw, a.pads[1]);
  if (!rows || !cols) return false;
  const e = L.e;
  const input = (cx as number) < B ? L.plain(g) : L.blocked(g);
  const [U, V] = [Math.ceil(ho / sh), Math.ceil(wo / sw)];
  const phaseOut = (pr: Phase, pc: Phase, ai: number, bi: number): string => {
    const filter = L.filter(w, `phase ${sh},${sw},${a.pads.join(',')} ${ai},${bi}`, (flat) =>
      gatherFilter(
        L,
        flat(),
        [cy, cx as number, pr.taps, pc.taps],
        blockedFilterIndex(cy, cx as number, pr.taps, pc.taps, B, (oy, ix, i, j) => {
          const [ki, kj] = [pr.r + sh * (pr.taps - 1 - i), pc.r + sw * (pc.taps - 1 - j)];
          return ki < kh && kj < kw ? ((ix * cy + oy) * kh + ki) * kw + kj : (cx as number) * cy * kh * kw;
        }),
      ),
    );
    const y = e.temp();
    convNode(L, input, filter, undefined, { kernel: [pr.taps, pc.taps], strides: [1, 1], pads: [pr.padBegin, pc.padBegin, pr.padEnd, pc.padEnd], dilations: [1, 1] }, y);
    return y;
  };
  const cells = rows.map((pr, ai) => cols.map((pc, bi) => phaseOut(pr, pc, ai, bi)));
  L.setBlocked(t, interleave(L, cells, typeof n === 'number' ? n : -1, cy, [U, V], [ho, wo]));
  return true;
}

/**
 * Blocked [N, C, U, V] values, one per phase (a, b) of an s_h × s_w grid, woven into [N, C, H, W] with
 * cell (u, v) of phase (a, b) at (s_h·u + a, s_w·v + b), cropped to `size`: a Concat along V (chunks of
 * `block` floats), one along U (chunks of a whole row), then a Slice where s·U passes the size.
 */
function interleave(L: Layouts, cells: string[][], lead: number, c: number, [U, V]: number[], [h, w]: number[]): string {
  const e = L.e;
  const B = L.block;
  const nb = c / B;
  const [sh, sw] = [cells.length, cells[0].length];
  const view = (v: string, dims: number[]) => {
    const out = e.temp();
    e.node('Reshape', [v, e.small('int64', [dims.length], dims)], [out]);
    return out;
  };
  const concat = (vs: string[], axis: number) => {
    if (vs.length === 1) return vs[0];
    const out = e.temp();
    e.node('Concat', vs, [out], [{ name: 'axis', i: axis }]);
    return out;
  };
  const rowsOut = cells.map((row) => view(concat(row.map((v) => view(v, [lead, nb, U, V, 1, B])), 4), [lead, nb, U, 1, V * sw, B]));
  let full = view(concat(rowsOut, 3), [lead, nb, U * sh, V * sw, B]);
  if (U * sh !== h || V * sw !== w) {
    // Cropped on the 5-D view: height and width are its axes 2 and 3, the block innermost.
    const cropped = e.temp();
    e.node('Slice', [full, e.small('int64', [2], [0, 0]), e.small('int64', [2], [h, w]), e.small('int64', [2], [2, 3])], [cropped]);
    full = cropped;
  }
  return view(full, [lead, c, h, w]);
}

// ---- ops between convolutions -----------------------------------------------------------------------

const ELEMENTWISE = new Set([
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'neg', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'abs', 'sqrt', 'exp', 'log',
  'clip', 'cast', 'where', 'greater', 'less', 'greaterOrEqual', 'lessOrEqual', 'equal', 'stopGradient',
]);

/** Same shape as the result (blocked with it) or one value (broadcasts in either layout). */
const isScalar = (x: Tensor) => staticSize(x.shape) === 1;

/**
 * An elementwise op on blocked values when its result is a blocked-size image and one of its full-size
 * operands is blocked already; the others are reordered (floats) or make the op standard (masks).
 */
function elementwise(L: Layouts, t: Tensor, rule: EmitRule): boolean {
  if ((t.op === 'relu' || t.op === 'leakyRelu') && L.activated.has(t.inputs[0].id)) {
    L.setBlocked(t, L.blocked(t.inputs[0])); // the convolution applied it
    return true;
  }
  if (!ELEMENTWISE.has(t.op) || t.shape.length !== 4 || !t.shape.slice(1).every((d) => typeof d === 'number')) return false;
  if ((channelsOf(t) as number) % L.block !== 0) return false;
  const full = t.inputs.filter((x) => !isScalar(x));
  if (!full.length || !full.some((x) => L.hasBlocked(x))) return false;
  if (full.some((x) => x.shape.length !== 4 || x.shape.some((d, i) => d !== t.shape[i]) || (!isFloat(x.dtype) && !L.hasBlocked(x)))) return false;
  const out = `${L.e.prefix}b${t.id}`;
  rule(t.inputs.map((x) => (isScalar(x) ? L.plain(x) : L.blocked(x))), out);
  L.setBlocked(t, out);
  return true;
}

/** A conv bias's gradient: the sum over batch, height and width of a blocked [N, C, H, W]. */
function channelSum(L: Layouts, t: Tensor<'reduceSum'>): boolean {
  const x = t.inputs[0];
  if (!L.hasBlocked(x) || t.attrs.axes.join() !== '0,2,3') return false;
  const e = L.e;
  const [c, h, w] = x.shape.slice(1) as number[];
  const [view, sums, out] = [e.temp(), e.temp(), L.nameFor(t)];
  e.node('Reshape', [L.blocked(x), e.small('int64', [5], [-1, c / L.block, h, w, L.block])], [view]);
  e.node('ReduceSum', [view, e.small('int64', [3], [0, 2, 3])], [sums], [{ name: 'keepdims', i: 0 }]);
  e.node('Reshape', [sums, e.small('int64', [t.shape.length], t.shape as number[])], [out]);
  L.setStandard(t, out);
  return true;
}

function pool(L: Layouts, t: Tensor<'maxPool2d' | 'avgPool2d'>): boolean {
  const x = t.inputs[0];
  if (!L.hasBlocked(x)) return false;
  const attrs = poolAttributes(t.attrs);
  if (t.op === 'avgPool2d') attrs.push({ name: 'count_include_pad', i: t.attrs.countIncludePad ? 1 : 0 });
  const out = `${L.e.prefix}b${t.id}`;
  if (t.op === 'maxPool2d') L.pooled(x, attrs, () => out);
  L.e.node(t.op === 'maxPool2d' ? 'MaxPool' : 'AveragePool', [L.blocked(x)], [out], attrs, NCHWC_DOMAIN);
  L.setBlocked(t, out);
  return true;
}

/**
 * max-pool's gradient for windows that tile the image (kernel = stride, no padding): each window position
 * (i, j) is read by a depthwise convolution with a one-hot kernel, compared with the pooled maximum, and
 * the first position in row order that equals it takes the window's cotangent; the positions are then
 * woven back. ONNX Runtime's standard path (MaxPool's Indices, then ScatterElements on one thread) measured
 * 11 ms for cnn-madry's first pool at batch 128.
 */
function maxPoolGrad(L: Layouts, t: Tensor<'maxPoolGrad'>): boolean {
  const [x, g] = t.inputs;
  const { kernel, strides, pads } = t.attrs;
  const [n, c, h, w] = x.shape;
  if (!isImage(x) || (c as number) % L.block !== 0 || !(L.hasBlocked(x) || L.hasBlocked(g))) return false;
  if (kernel.some((k, i) => k !== strides[i]) || pads.some((p) => p !== 0) || (h as number) % kernel[0] !== 0 || (w as number) % kernel[1] !== 0) return false;
  const e = L.e;
  const [kh, kw] = kernel;
  const poolAttrs = poolAttributes(t.attrs);
  const xb = L.blocked(x);
  const pooled = L.pooled(x, poolAttrs, () => {
    const out = e.temp();
    e.node('MaxPool', [xb], [out], poolAttrs, NCHWC_DOMAIN);
    return out;
  });
  const gb = L.blocked(g);
  let taken = '';
  const cells = Array.from({ length: kh }, (_, i) =>
    Array.from({ length: kw }, (_, j) => {
      // Depthwise filter [C, 1, kh, kw] in OIHWBo order: 1 at (i, j) for every channel.
      const onehot = Array.from({ length: (c as number) * kh * kw }, (_, k) => (Math.floor(k / L.block) % (kh * kw) === i * kw + j ? 1 : 0));
      const [at, eq, ones, cell] = [e.temp(), e.temp(), e.temp(), e.temp()];
      e.node('Conv', [xb, e.small(x.dtype, [c as number, 1, kh, kw], onehot)], [at], [...poolAttrs, { name: 'group', i: c as number }], NCHWC_DOMAIN);
      e.node('Equal', [at, pooled], [eq]);
      let first = eq;
      if (taken) {
        const [free, more] = [e.temp(), e.temp()];
        first = e.temp();
        e.node('Not', [taken], [free]);
        e.node('And', [eq, free], [first]);
        e.node('Or', [taken, eq], [more]);
        taken = more;
      } else taken = eq;
      e.node('Cast', [first], [ones], [{ name: 'to', i: 1 }]);
      e.node('Mul', [ones, gb], [cell]);
      return cell;
    }),
  );
  L.setBlocked(t, interleave(L, cells, typeof n === 'number' ? n : -1, c as number, t.inputs[1].shape.slice(2) as number[], [h as number, w as number]));
  return true;
}

/** Emit t on blocked values where it can be; false leaves it to the standard rule. */
export function emitBlocked(L: Layouts, t: Tensor, rule: EmitRule): boolean {
  switch (t.op) {
    case 'conv2d':
      return conv2d(L, t);
    case 'convTranspose2d':
      return convTranspose2d(L, t);
    case 'reduceSum':
      return channelSum(L, t);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool(L, t);
    case 'maxPoolGrad':
      return maxPoolGrad(L, t);
    default:
      return elementwise(L, t, rule);
  }
}

/** A model that reorders a [1, 4, 1, 1] input: its output's channel count is the runtime's block size. */
export function blockProbe(): EmittedModel {
  const e = new Emitter();
  e.node('ReorderInput', ['x'], ['y'], [], NCHWC_DOMAIN);
  return finishModel(e, [{ name: 'x', shape: [1, 4, 1, 1], dtype: 'float32' }], [{ name: 'y', shape: [1, 'block', 1, 1], dtype: 'float32' }], 'block-probe');
}
