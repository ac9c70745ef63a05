// What the page and the CLI share to read a model's output and check it fits the data: probabilities from
// logits, the predicted class, and the pixels-and-classes check with its message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkModelFits } from '../src/eval/fits.js';
import { argmaxRow, softmaxRow } from '../src/eval/predict.js';

test('softmaxRow gives one row’s probabilities, finite for huge logits', () => {
  const logits = Float32Array.of(9, 9, 9, 0, Math.log(2), 0, 1000, 1000, 0);
  const p = softmaxRow(logits, 1, 3);
  assert.deepEqual(p.map((v) => +v.toFixed(6)), [0.25, 0.5, 0.25]);
  assert.deepEqual(softmaxRow(logits, 2, 3).map((v) => +v.toFixed(6)), [0.5, 0.5, 0]);
  assert.deepEqual(softmaxRow(logits, 0, 3).map((v) => +v.toFixed(6)), [1 / 3, 1 / 3, 1 / 3].map((v) => +v.toFixed(6)));
});

test('argmaxRow picks the largest in a row, the lowest index on ties, on plain arrays too', () => {
  assert.equal(argmaxRow(Float32Array.of(0, 1, 5, 2, 7, 7), 1, 3), 1);
  assert.equal(argmaxRow([0.1, 0.6, 0.3], 0, 3), 1);
});

test('checkModelFits refuses a model whose pixels or classes differ from the data, naming both', () => {
  const data = { features: 784, classes: 10, source: "the site's MNIST subset" };
  checkModelFits('a.onnx', { inputs: 784, classes: 10 }, data);
  assert.throws(() => checkModelFits('a.onnx', { inputs: 100, classes: 10 }, data), {
    name: 'A3tError',
    message: "a.onnx takes 100 pixels and gives 10 classes; the site's MNIST subset has 784 pixels and 10 classes",
  });
  assert.throws(() => checkModelFits('the model', { inputs: 784, classes: 3 }, data), /the model takes 784 pixels and gives 3 classes;/);
});
