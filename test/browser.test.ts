// The page in a real browser (Debian's chromium, headless, driven by playwright-core): it loads without
// console errors, classifies a drawing, an attack flips the plain model, training in the tab makes a
// model more robust than plain training and its download loads in `a3t eval`, bad files get messages.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { main } from '../src/cli/run.js';
import { type SiteServer, serveSite } from '../src/io/site-server.js';
import { buildWeb } from '../web/build.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium; .ci/run does)`;
const tmp = mkdtempSync(join(tmpdir(), 'a3t-web-'));
let site: SiteServer;
let browser: Browser;
let page: Page;
/** Console errors and uncaught exceptions of the page, over the whole session. */
const problems: string[] = [];

before(async () => {
  if (skip) return;
  await buildWeb(join(tmp, 'site'));
  site = await serveSite(join(tmp, 'site'), 0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 1300 }, acceptDownloads: true });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  await page.goto(site.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  await site?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const text = async (sel: string) => (await page.textContent(sel)) ?? '';
const waitText = (sel: string, pattern: RegExp, timeout = 60_000) =>
  page.waitForFunction(([s, p]) => new RegExp(p).test(document.querySelector(s)?.textContent ?? ''), [sel, pattern.source] as const, { timeout });

test('the page loads without console errors and the lab classifies test image 0', { skip }, async () => {
  assert.deepEqual(problems, []);
  assert.match(await text('#backend'), /onnxruntime-web wasm, 2 threads/); // the server isolates the page: threads
  assert.match(await text('#first-prediction'), /first prediction \d+ ms/);
  // MNIST's first test image is a 7, and all three shipped models say so.
  const clean = await page.$$eval('#predictions li', (li) => li.map((l) => (l as HTMLElement).dataset.clean));
  assert.deepEqual(clean, ['7', '7', '7']);
});

test('a drawn vertical stroke is classified as a 1', { skip }, async () => {
  await page.click('#clear');
  const box = (await page.locator('#pad').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + 0.07 * i));
  await page.mouse.up();
  await waitText('#input-source', /your drawing/);
  await waitText('#lab-status', /against/);
  const clean = await page.$$eval('#predictions li', (li) => li.map((l) => (l as HTMLElement).dataset.clean));
  assert.deepEqual(clean, ['1', '1', '1']);
});

test('PGD-40 at ε 0.3 against the plain model flips it; at ε 0 nothing changes', { skip }, async () => {
  await page.fill('#test-index', '3');
  await page.dispatchEvent('#test-index', 'change');
  await page.selectOption('#attack', 'pgd-40');
  await page.selectOption('#target', 'plain');
  for (const [eps, flipped] of [['0', false], ['0.3', true]] as const) {
    await page.fill('#eps', eps);
    await waitText('#lab-status', new RegExp(`ε ${Number(eps).toFixed(2)} against plain: (held|fooled)`));
    const plain = await page.$eval('#predictions li[data-model=plain]', (l) => (l as HTMLElement).className);
    assert.equal(plain, flipped ? 'flipped' : 'held', `ε ${eps}: ${await text('#predictions')}`);
  }
  assert.deepEqual(problems, []);
});

test('a bad ONNX file and bad IDX uploads show what is wrong', { skip }, async () => {
  const bad = join(tmp, 'model.onnx');
  writeFileSync(bad, 'not a model');
  await page.setInputFiles('#model-file', bad);
  await waitText('#model-error', /model\.onnx/);
  assert.match(await text('#model-error'), /model\.onnx: /);
  await page.click('#tab-train');
  const images = join(tmp, 'images.idx');
  writeFileSync(images, Uint8Array.of(0, 3, 8, 1, 0, 0, 0, 1, 5));
  await page.setInputFiles('#train-images', images);
  await page.click('#train-start');
  await waitText('#train-error', /both an images file and a labels file/);
  await page.setInputFiles('#train-labels', images);
  await page.click('#train-start');
  // The CLI's message for the same file (src/data/idx.ts), naming the file and what was expected.
  await waitText('#train-error', /images\.idx: not an IDX file \(magic number starts 0x00 0x03, expected 0x00 0x00\)/);
  await page.setInputFiles('#train-images', []);
  await page.setInputFiles('#train-labels', []);
});

test('an ONNX classifier of your own joins the lab as a model to attack', { skip }, async () => {
  await page.click('#tab-lab');
  await page.setInputFiles('#model-file', 'web/models/at.onnx');
  await waitText('#model-error', /Loaded at\.onnx: 10 classes/);
  assert.equal(await page.$eval('#target', (s) => (s as HTMLSelectElement).value), 'yours');
  await waitText('#lab-status', /against at\.onnx: (held|fooled)/);
  // The same weights as the shipped AT model: the same clean class.
  const clean = await page.$$eval('#predictions li', (li) => li.map((l) => `${(l as HTMLElement).dataset.model}=${(l as HTMLElement).dataset.clean}`));
  assert.equal(clean.length, 4);
  assert.equal(clean[3].split('=')[1], clean[1].split('=')[1], clean.join(' '));
});

test('training on uploaded gzipped IDX files', { skip }, async () => {
  await page.click('#tab-train');
  await page.setInputFiles('#train-images', join(tmp, 'site/data/train-images-idx3-ubyte.gz'));
  await page.setInputFiles('#train-labels', join(tmp, 'site/data/train-labels-idx1-ubyte.gz'));
  await page.selectOption('#regime', 'plain');
  await page.fill('#train-epochs', '1');
  await page.click('#train-start');
  await waitText('#train-status', /Training on 2000 images \(1000 held out\)/);
  await page.waitForSelector('#train-status[data-done=true]', { timeout: 120_000 });
  await page.setInputFiles('#train-images', []);
  await page.setInputFiles('#train-labels', []);
  assert.equal(await text('#train-error'), '');
  const clean = Number(await page.$eval('#train-last', (e) => (e as HTMLElement).dataset.clean));
  assert.ok(clean > 0.5, `clean validation accuracy after one epoch: ${clean}`);
});

/** Train in the tab with the form's defaults but `regime` and `epochs`; returns the last validation FGSM accuracy. */
async function trainInTab(regime: string, epochs: number, pauseOnce = false): Promise<number> {
  await page.selectOption('#regime', regime);
  await page.fill('#train-epochs', String(epochs));
  await page.click('#train-start');
  if (pauseOnce) {
    await waitText('#train-status', /Epoch 1\//);
    await page.click('#train-pause');
    await waitText('#train-status', /^Paused$/);
    const at = await page.$eval('#train-progress', (p) => (p as HTMLProgressElement).value);
    await page.waitForTimeout(1500);
    assert.equal(await page.$eval('#train-progress', (p) => (p as HTMLProgressElement).value), at, 'training went on while paused');
    await page.click('#train-pause');
  }
  await page.waitForSelector('#train-status[data-done=true]', { timeout: 120_000 });
  assert.equal(await text('#train-error'), '');
  return Number(await page.$eval('#train-last', (e) => (e as HTMLElement).dataset.fgsm));
}

test('AT trained in the tab resists FGSM better than plain training, pauses, and its checkpoint loads in a3t eval', { skip }, async () => {
  const plain = await trainInTab('plain', 2);
  const at = await trainInTab('at', 2, true);
  assert.ok(at > plain + 0.05, `FGSM accuracy after 2 epochs on 2,000 images: AT ${at}, plain ${plain}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-checkpoint')]);
  const file = join(tmp, download.suggestedFilename());
  await download.saveAs(file);
  const out = join(tmp, 'eval');
  const code = await main(['eval', file, '--attacks', 'fgsm', '--eps', '0,0.1', '--count', '300', '--no-checks', '--out', out, '--quiet']);
  assert.equal(code, 0);
  const report = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { clean: number; attacks: { accuracy: number[] }[] };
  assert.ok(report.clean > 0.7, `clean accuracy of the downloaded model: ${report.clean}`);
  assert.ok(report.attacks[0].accuracy[1] > 0.3, `FGSM ε 0.1 accuracy of the downloaded model: ${report.attacks[0].accuracy[1]}`);
  assert.deepEqual(problems, []);
});

test('with a WebGPU adapter (chromium\'s software one) the page computes on WebGPU and classifies and attacks as on WASM', { skip }, async () => {
  const gpu = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
  try {
    const p = await gpu.newPage();
    const seen: string[] = [];
    p.on('console', (m) => m.type() === 'error' && seen.push(m.text()));
    p.on('pageerror', (e) => seen.push(e.message));
    await p.goto(`${site.url}?device=webgpu`);
    await p.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    assert.match((await p.textContent('#backend')) ?? '', /^onnxruntime-web webgpu, 2 threads$/);
    assert.deepEqual(await p.$$eval('#predictions li', (li) => li.map((l) => (l as HTMLElement).dataset.clean)), ['7', '7', '7']);
    await p.fill('#eps', '0.3');
    await p.waitForFunction(() => /ε 0\.30 against plain: (held|fooled)/.test(document.querySelector('#lab-status')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await p.$eval('#predictions li[data-model=plain]', (l) => (l as HTMLElement).className), 'flipped');
    assert.deepEqual(seen, []);
  } finally {
    await gpu.close();
  }
});

test('asking for WebGPU without an adapter says so and computes on WASM', { skip }, async () => {
  const p = await browser.newPage();
  await p.goto(`${site.url}?device=webgpu&threads=1`);
  await p.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  assert.match((await p.textContent('#backend')) ?? '', /^onnxruntime-web wasm, 1 thread \(WebGPU asked for, but this browser has no WebGPU adapter: WASM used\)$/);
  await p.close();
});
