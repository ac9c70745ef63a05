// The messages users get: shape and dtype errors at trace time name the op and the shapes involved;
// feed errors are caught by Program.run before ONNX Runtime sees the arrays; compile errors name the state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as o from '../src/engine/ops.js';
import { FeedError, type Program, compile } from '../src/engine/runtime.js';
import { ShapeError, type Tensor } from '../src/engine/tensor.js';

type ErrorClass = new (...args: never[]) => Error;

/** A predicate for assert.throws/rejects: `e` is an instance of `cls` and its message matches every pattern. */
function fails(cls: ErrorClass, ...patterns: RegExp[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof cls, `expected a ${cls.name}, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    assert.equal(e.name, cls.name, 'error name');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

const f32 = (name: string, shape: (number | string)[]) => o.input(name, shape, 'float32');

// ---- shape and dtype errors at trace time ------------------------------------------------------------

test('matmul with mismatched inner dimensions names the op and both shapes', () => {
  assert.throws(() => o.matmul(f32('a', [2, 3]), f32('b', [4, 5])), fails(ShapeError, /matmul/, /\[2, 3\]/, /\[4, 5\]/, /3 vs 4/));
  // With a transposed operand the message says so, and still shows the shapes as given.
  assert.throws(() => o.matmul(f32('a', [2, 3]), f32('b', [3, 5]), { transA: true }), fails(ShapeError, /matmul \(a transposed\)/, /\[2, 3\]/, /\[3, 5\]/));
});

test('matmul on a 3-D operand is refused with both shapes', () => {
  assert.throws(() => o.matmul(f32('a', [2, 3, 4]), f32('b', [4, 5])), fails(ShapeError, /matmul/, /2-D/, /\[2, 3, 4\]/, /\[4, 5\]/));
});

test('matmul with an addend that does not broadcast to the product', () => {
  assert.throws(() => o.matmul(f32('a', [2, 3]), f32('b', [3, 5]), {}, f32('c', [4])), fails(ShapeError, /matmul/, /\[4\]/, /\[2, 5\]/));
});

test('add of non-broadcastable shapes names the op, both shapes and the axis', () => {
  assert.throws(() => o.add(f32('a', [2, 3]), f32('b', [4])), fails(ShapeError, /^add:/, /\[2, 3\]/, /\[4\]/, /do not broadcast/, /3 vs 4/));
  assert.throws(() => o.mul(f32('a', ['batch', 3]), f32('b', ['n', 3])), fails(ShapeError, /^mul:/, /\[batch, 3\]/, /\[n, 3\]/));
});

test('dtype mismatch between float32 and float64 names the op, both dtypes and shapes', () => {
  assert.throws(() => o.add(f32('a', [2]), o.input('b', [2], 'float64')), fails(ShapeError, /^add:/, /dtypes differ/, /float32 \[2\]/, /float64 \[2\]/));
  assert.throws(() => o.matmul(f32('a', [2, 3]), o.input('b', [3, 4], 'float64')), fails(ShapeError, /matmul/, /float32/, /float64/));
  assert.throws(() => o.exp(o.input('i', [3], 'int64')), fails(ShapeError, /^exp:/, /float/, /int64 \[3\]/));
});

test('concat of tensors that do not fit names both shapes', () => {
  assert.throws(() => o.concat([f32('a', [2, 3]), f32('b', [2, 4])], 0), fails(ShapeError, /concat/, /\[2, 3\]/, /\[2, 4\]/));
  assert.throws(() => o.concat([f32('a', [2, 3]), o.input('b', [2, 3], 'float64')], 1), fails(ShapeError, /concat/, /float32/, /float64/));
  assert.throws(() => o.concat([], 0), fails(ShapeError, /concat/, /at least one/));
});

test('reshape with another element count names both shapes', () => {
  assert.throws(() => o.reshape(f32('a', [2, 3]), [4, 2]), fails(ShapeError, /reshape/, /\[2, 3\]/, /\[4, 2\]/, /element counts differ/));
  assert.throws(() => o.reshape(f32('a', [2, 3]), [4, -1]), fails(ShapeError, /reshape/, /\[2, 3\]/, /\[4, -1\]/, /6 elements/));
  assert.throws(() => o.reshape(f32('a', [2, 3]), [-1, -1]), fails(ShapeError, /reshape/, /at most one -1/));
});

test('slice out of bounds names the range, the axis and the shape', () => {
  assert.throws(() => o.slice(f32('a', [2, 3]), 1, 1, 5), fails(ShapeError, /^slice:/, /1\.\.5/, /axis 1/, /\[2, 3\]/));
  assert.throws(() => o.slice(f32('a', [2, 3]), 1, 2, 1), fails(ShapeError, /^slice:/, /2\.\.1/));
  assert.throws(() => o.slice(f32('a', [2, 3]), 2, 0, 1), fails(ShapeError, /^slice:/, /axis 2 out of range for rank 2/));
});

test('transpose with a bad perm names the perm and the shape', () => {
  assert.throws(() => o.transpose(f32('a', [2, 3]), [0, 0]), fails(ShapeError, /^transpose:/, /\[0, 0\]/, /\[2, 3\]/));
  assert.throws(() => o.transpose(f32('a', [2, 3]), [1, 0, 2]), fails(ShapeError, /^transpose:/, /\[1, 0, 2\]/, /\[2, 3\]/));
});

test('where with a non-bool condition names the dtype and shape', () => {
  assert.throws(() => o.where(f32('c', [3]), f32('a', [3]), 0), fails(ShapeError, /^where:/, /bool/, /float32 \[3\]/));
});

test('oneHot with float labels names the dtype; a bad depth is refused', () => {
  assert.throws(() => o.oneHot(f32('y', [4]), 10), fails(ShapeError, /^oneHot:/, /int64/, /float32 \[4\]/));
  assert.throws(() => o.oneHot(o.input('y', [4], 'int64'), 0), fails(ShapeError, /^oneHot:/, /depth 0/));
});

test('softmax with an axis out of range names the axis and the rank', () => {
  assert.throws(() => o.softmax(f32('a', [2, 3]), 2), fails(ShapeError, /^softmax:/, /axis 2/, /rank 2/));
  assert.throws(() => o.softmax(f32('a', [2, 3]), -3), fails(ShapeError, /^softmax:/, /axis -3/, /rank 2/));
  assert.throws(() => o.reduceSum(f32('a', [2, 3]), 5), fails(ShapeError, /^reduceSum:/, /axis 5/, /rank 2/));
});

test('input with an invalid name or a negative or fractional dim', () => {
  for (const bad of ['1x', '', 'a b', "x'"]) assert.throws(() => o.input(bad, [1]), fails(ShapeError, /^input:/, new RegExp(`name '${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`)), `name ${JSON.stringify(bad)}`);
  assert.throws(() => o.input('x', [2, -1]), fails(ShapeError, /input x/, /dimension -1/, /non-negative integer/));
  assert.throws(() => o.input('x', [1.5]), fails(ShapeError, /input x/, /dimension 1\.5/));
  // Valid names and dims pass.
  assert.equal(o.input('_a.b:c/d-e', ['batch', 0, 3]).shape.join(), 'batch,0,3');
});

// ---- feed errors from Program.run --------------------------------------------------------------------

// x [batch, 3] and y [batch] are fed; w [3] is state, updated by the column sums of x.
let prog: Program;
let w: Tensor;

before(async () => {
  const x = f32('x', ['batch', 3]);
  const y = f32('y', ['batch']);
  w = f32('w', [3]);
  prog = await compile({
    outputs: { total: o.add(o.reduceSum(o.mul(x, w)), o.reduceSum(y)) },
    state: { w: o.add(w, o.reduceSum(x, 0)) },
    threads: 1,
  });
});

after(async () => {
  await prog.release();
});

const xs = (rows: number) => Float32Array.from({ length: rows * 3 }, (_, i) => i + 1);
const ys = (rows: number) => new Float32Array(rows).fill(0.5);

test('the program behind the feed-error tests runs with correct feeds', async () => {
  assert.deepEqual([...prog.feeds.map((f) => f.name)].sort(), ['x', 'y']);
  prog.setState('w', [1, 0, 0]);
  const out = await prog.run({ x: xs(2), y: ys(2) });
  assert.equal(out.total[0], 1 + 4 + 0.5 + 0.5); // x·w over both rows, plus y
  assert.deepEqual(Array.from(prog.state('w') as Float32Array), [1 + 1 + 4, 2 + 5, 3 + 6]);
});

test('a feed of the wrong length names the feed and the expected dtype and shape', async () => {
  await assert.rejects(prog.run({ x: new Float32Array(5), y: ys(1) }), fails(FeedError, /feed 'x' has 5 elements, expected float32 \[batch, 3\]/));
});

test('a feed of the wrong typed-array type names both array types', async () => {
  await assert.rejects(prog.run({ x: new Float64Array(6) as never, y: ys(2) }), fails(FeedError, /feed 'x' is a Float64Array, expected a Float32Array for float32 \[batch, 3\]/));
});

test('an unknown feed name lists the expected names', async () => {
  await assert.rejects(prog.run({ x: xs(2), y: ys(2), z: ys(2) }), fails(FeedError, /unknown feed 'z'/, /expected one of: (x, y|y, x)\b/));
});

test('a missing feed names it and its expected dtype and shape', async () => {
  await assert.rejects(prog.run({ x: xs(2) }), fails(FeedError, /missing feed 'y': expected float32 \[batch\]/));
});

test('feeding a state input directly points to setState', async () => {
  await assert.rejects(prog.run({ x: xs(2), y: ys(2), w: new Float32Array(3) }), fails(FeedError, /unknown feed 'w'/, /it is state, set with setState/));
});

test('a named dim bound by one feed and contradicted by another is reported with its value', async () => {
  // x binds batch = 2 and y gives 3 rows, or y binds batch = 3 and x gives 2 rows: either way one is named.
  await assert.rejects(
    prog.run({ x: xs(2), y: ys(3) }),
    fails(FeedError, /^(feed 'y' has 3 elements, expected float32 \[batch\] with batch=2|feed 'x' has 6 elements, expected float32 \[batch, 3\] with batch=3)$/),
  );
});

test('setState with the wrong length and state() with an unknown name', () => {
  assert.throws(() => prog.setState('w', [1, 2]), fails(FeedError, /state 'w': 2 values given, expected 3/));
  assert.throws(() => prog.state('q'), fails(FeedError, /no state named 'q'/, /state: w\b/));
  assert.throws(() => prog.setState('x', [1, 2, 3]), fails(FeedError, /no state named 'x'/));
});

// ---- compile errors --------------------------------------------------------------------------------

test('compile refuses a state whose next value has another shape or dtype', async () => {
  const s = f32('s', [3]);
  await assert.rejects(compile({ state: { s: o.reduceSum(s, 0, true) }, threads: 1 }), fails(ShapeError, /compile: state 's'/, /float32 \[3\]/, /float32 \[1\]/));
  await assert.rejects(compile({ state: { s: o.cast(s, 'float64') }, threads: 1 }), fails(ShapeError, /compile: state 's'/, /float32 \[3\]/, /float64 \[3\]/));
});

test('compile refuses a state with a named dim, a state that is also an output, and one the graph does not read', async () => {
  const b = f32('b', ['batch']);
  await assert.rejects(compile({ state: { b: o.mul(b, 2) }, threads: 1 }), fails(ShapeError, /compile: state 'b'/, /\[batch\]/, /static/));
  const s = f32('s', [3]);
  await assert.rejects(compile({ outputs: { s: s }, state: { s: o.mul(s, 2) }, threads: 1 }), fails(ShapeError, /compile: 's' is both state and an output/));
  await assert.rejects(compile({ state: { t: o.mul(s, 2) }, threads: 1 }), fails(ShapeError, /compile: state 't' is not an input/));
});

test('compile refuses threads: 0 and other non-positive or fractional thread counts', async () => {
  const x = f32('x', [3]);
  for (const threads of [0, -1, 1.5]) await assert.rejects(compile({ outputs: { y: o.mul(x, 2) }, threads }), fails(RangeError, /compile: threads must be a positive integer/, new RegExp(`got ${String(threads).replace('.', '\\.')}`)), `threads ${threads}`);
});
