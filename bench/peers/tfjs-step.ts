// Benchmark peer: one plain / one A3T training step of the bench model in TensorFlow.js (wasm or cpu backend).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '3'));
const BACKEND = opt('backend', 'wasm');
const CHECK = Number(opt('check', '0')); // dev sanity check: run N plain steps, print loss before/after
// tfjs-wasm runs transposed matMuls (used by the built-in matMul gradient) on a slow non-XNNPACK path;
// --transpose-grads uses a custom dense gradient with explicit transposes instead (not the natural tfjs way).
const TGRADS = argv.includes('--transpose-grads');
const B = 128, ALPHA = 0.5, BETA = 1, EPS = 0.1;
const log = (...a: unknown[]) => console.error('[tfjs-step]', ...a);

if (BACKEND === 'wasm') {
  // Offline under Node: point the loader at the .wasm files shipped in the package's dist/ folder.
  const pkgMain = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(dirname(pkgMain) + '/');
}
if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialise`);
await tf.ready();

// ---- parameters (glorot-uniform weights, zero biases) ----
let seed = 1;
const dense = (prefix: string, nIn: number, nOut: number) => {
  const lim = Math.sqrt(6 / (nIn + nOut));
  return {
    W: tf.variable(tf.randomUniform([nIn, nOut], -lim, lim, 'float32', seed++), true, `${prefix}W`),
    b: tf.variable(tf.zeros([nOut]), true, `${prefix}b`),
  };
};
type Lin = { W: tf.Tensor; b: tf.Tensor };
const [c1, c2, c3, c4] = [dense('c1', 784, 512), dense('c2', 512, 256), dense('c3', 256, 128), dense('c4', 128, 10)];
const [d1, d2] = [dense('d1', 256, 128), dense('d2', 128, 1)];
const cVars = [c1, c2, c3, c4].flatMap((l) => [l.W, l.b]);
const dVars = [d1, d2].flatMap((l) => [l.W, l.b]);
const optC = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
const optD = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);

// ---- model ----
const linT = tf.customGrad((...args) => {
  const [x, W, b] = args as tf.Tensor[];
  (args[3] as tf.GradSaveFunc)([x, W]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: W as tf.Tensor2D, bias: b }),
    gradFunc: (dy: tf.Tensor, [xs, Ws]: tf.Tensor[]) =>
      [tf.matMul(dy as tf.Tensor2D, tf.transpose(Ws) as tf.Tensor2D), tf.matMul(tf.transpose(xs) as tf.Tensor2D, dy as tf.Tensor2D), tf.sum(dy, 0)],
  };
});
const lin = (x: tf.Tensor2D, l: Lin) =>
  (TGRADS ? linT(x, l.W, l.b) : tf.fused.matMul({ a: x, b: l.W as tf.Tensor2D, bias: l.b })) as tf.Tensor2D;
const E = (x: tf.Tensor2D) => tf.leakyRelu(lin(tf.leakyRelu(lin(x, c1), 0.01), c2), 0.01);
const R = (z: tf.Tensor2D) => lin(tf.leakyRelu(lin(z, c3), 0.01), c4);
const C = (x: tf.Tensor2D) => R(E(x));
// D logits (pre-sigmoid); `mask` is the dropout mask already scaled by 1/(1-p).
const Dlogit = (z: tf.Tensor2D, l1: Lin, l2: Lin, mask: tf.Tensor) => lin(tf.mul(tf.relu(lin(z, l1)), mask) as tf.Tensor2D, l2);
const ce = (logits: tf.Tensor, y1h: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(y1h, tf.logSoftmax(logits)), 1))) as tf.Scalar;
// tfjs has no stopGradient: identity whose gradient is zero.
const sg = tf.customGrad((t) => ({ value: tf.clone(t as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));
const sgDense = (l: Lin): Lin => ({ W: sg(l.W), b: sg(l.b) });

// ---- synthetic batch (fixed seed, reused every step) ----
const x = tf.randomUniform([B, 784], 0, 1, 'float32', 42) as tf.Tensor2D;
const y1h = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 43) as tf.Tensor1D, 10).toFloat();
const y1h2 = tf.concat([y1h, y1h]);

const plainStep = (): tf.Scalar => optC.minimize(() => ce(C(x), y1h), true, cVars)!;

const a3tStep = (): tf.Scalar =>
  tf.tidy(() => {
    // 1. FGSM on the fly (gradient w.r.t. the input only)
    const g = tf.grad((xx: tf.Tensor) => ce(C(xx as tf.Tensor2D), y1h))(x);
    const xAdv = tf.clipByValue(tf.add(x, tf.mul(EPS, tf.sign(g))), 0, 1);
    const mask = tf.mul(tf.step(tf.sub(tf.randomUniform([2 * B, 128]), 0.5)), 2); // dropout p=0.5, training mode
    // 2-4. one tape for both losses; sg() routes each loss's gradient to its own parameter group only.
    const { value, grads } = tf.variableGrads(() => {
      const zAll = E(tf.concat([x, xAdv]) as tf.Tensor2D); // [z; z_adv], 256 rows
      const logits = R(zAll);
      const ceAll = tf.neg(tf.sum(tf.mul(y1h2, tf.logSoftmax(logits)), 1));
      const [ceC, ceA] = tf.split(ceAll, 2);
      // D loss on detached features: BCE(D(z),1) + BCE(D(z_adv),0) = mean softplus(-l) + mean softplus(l)
      const [lR, lF] = tf.split(Dlogit(sg(zAll) as tf.Tensor2D, d1, d2, mask), 2);
      const lossD = tf.add(tf.mean(tf.softplus(tf.neg(lR))), tf.mean(tf.softplus(lF)));
      // classifier loss through a frozen D (same dropout mask for the adversarial rows)
      const lAdv = Dlogit(zAll.slice([B, 0], [B, 256]), sgDense(d1), sgDense(d2), mask.slice([B, 0], [B, 128]));
      const lossC = tf.sum(tf.stack([
        tf.mul(ALPHA, tf.mean(ceC)), tf.mul(1 - ALPHA, tf.mean(ceA)), tf.mul(BETA, tf.mean(tf.softplus(tf.neg(lAdv)))),
      ]));
      return tf.add(lossC, lossD) as tf.Scalar;
    }, [...cVars, ...dVars]);
    // 5. simultaneous Adam steps (gradients were all taken at the step's starting parameters)
    optC.applyGradients(cVars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    optD.applyGradients(dVars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    return value;
  });

function bench(name: string, step: () => tf.Scalar): number {
  for (let i = 0; i < 5; i++) step().dispose(); // warm-up
  let steps = 0, loss: tf.Scalar | null = null;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    loss?.dispose();
    loss = step();
    steps++;
  }
  const last = loss!.dataSync()[0]; // make sure all work has finished before stopping the clock
  const dt = (performance.now() - t0) / 1000;
  loss!.dispose();
  if (!Number.isFinite(last)) throw new Error(`${name}: non-finite loss ${last}`);
  log(`${name}: ${steps} steps in ${dt.toFixed(2)} s, last loss ${last.toFixed(4)}, tensors alive ${tf.memory().numTensors}`);
  return (B * steps) / dt;
}

if (CHECK > 0) {
  const first = plainStep(); log(`check: plain loss at step 0 = ${first.dataSync()[0]}`); first.dispose();
  for (let i = 1; i < CHECK; i++) plainStep().dispose();
  const last = plainStep(); log(`check: plain loss after ${CHECK} steps = ${last.dataSync()[0]}`); last.dispose();
}

const plain = bench('plain', plainStep);
const a3t = bench('a3t', a3tStep);
const threads = BACKEND === 'wasm' ? getThreadsCount() : 1;
const simd = BACKEND === 'wasm' && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? ' simd' : '';
const engine = `tfjs ${tf.version.tfjs} ${BACKEND}${simd}, ${threads} thread${threads === 1 ? '' : 's'}${TGRADS ? ', explicit-transpose grads' : ''}, node ${process.versions.node}`;
console.log(JSON.stringify({ a3t: +a3t.toFixed(1), plain: +plain.toFixed(1), engine }));
