// The browser bench: the paper's A3T step in a chromium tab on onnxruntime-web (WASM, 1 and 2 threads)
// beside the Node engine in the same run; time from page load to the lab's first prediction; dist-web's size.
// Usage: npm run bench:web [-- --seconds S] [--rounds R] [--webgpu]
// --webgpu adds one WebGPU round on chromium's software adapter (SwiftShader, a CPU emulation of a GPU:
// it shows the path works, not what a GPU does).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { serveSite } from '../src/io/site-server.js';
import { browserOnly, buildWeb } from '../web/build.js';
import { a3tStepRate } from './a3t-step-rate.js';

const CHROMIUM = '/usr/bin/chromium';
const opt = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const seconds = Number(opt('seconds', '6'));
const rounds = Number(opt('rounds', '3'));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'a3t-bench-web-'));
  const sizes = await buildWeb(join(dir, 'site'));
  await esbuild.build({ entryPoints: [join(import.meta.dirname, 'web-step-page.ts')], outfile: join(dir, 'site', 'bench.js'), bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'warning', plugins: [browserOnly] });
  writeFileSync(join(dir, 'site', 'bench.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="bench.js"></script>');
  const site = await serveSite(join(dir, 'site'), 0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const rates: Record<string, number[]> = {};
    const add = (k: string, v: number) => (rates[k] ??= []).push(v);
    const firstPrediction: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const threads of [1, 2]) {
        add(`node ${threads}`, await a3tStepRate({ threads, seconds }));
        const page = await browser.newPage();
        page.on('pageerror', (e) => console.error(`bench page: ${e.message}`));
        await page.goto(`${site.url}bench.html?threads=${threads}&seconds=${seconds}`);
        const res = (await (await page.waitForFunction(() => (window as unknown as { a3tBench?: unknown }).a3tBench, null, { timeout: (seconds + 60) * 1000 })).jsonValue()) as { samplesPerSecond?: number; backend?: string; error?: string };
        if (res.error) throw new Error(res.error);
        add(`web ${threads}`, res.samplesPerSecond!);
        await page.close();
      }
      const page = await browser.newPage();
      await page.goto(site.url);
      await page.waitForSelector('#first-prediction[data-ms]', { timeout: 120_000 });
      firstPrediction.push(Number(await page.$eval('#first-prediction', (e) => (e as HTMLElement).dataset.ms)));
      await page.close();
      console.log(`round ${r + 1}: ${Object.entries(rates).map(([k, v]) => `${k} ${Math.round(v.at(-1)!)}`).join(', ')}, first prediction ${firstPrediction.at(-1)} ms`);
    }
    const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
    console.log(`\nThe paper's A3T step (MLP, batch 128), samples/s, median of ${rounds} rounds of ${seconds} s:`);
    console.log('| threads | onnxruntime-web WASM in chromium | onnxruntime-node | web / node |');
    console.log('| ------: | -------------------------------: | ---------------: | ---------: |');
    for (const t of [1, 2]) console.log(`| ${t} | ${Math.round(m[`web ${t}`]).toLocaleString('en')} | ${Math.round(m[`node ${t}`]).toLocaleString('en')} | ${(m[`web ${t}`] / m[`node ${t}`]).toFixed(2)}× |`);
    console.log(`\nFirst prediction after page load (attack lab, local server): median ${median(firstPrediction)} ms (${firstPrediction.join(', ')})`);
    if (process.argv.includes('--webgpu')) {
      const gpuBrowser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
      const page = await gpuBrowser.newPage();
      await page.goto(`${site.url}bench.html?threads=1&seconds=${seconds}&device=webgpu&steps=1`);
      const res = (await (await page.waitForFunction(() => (window as unknown as { a3tBench?: unknown }).a3tBench, null, { timeout: (seconds + 300) * 1000 })).jsonValue()) as { samplesPerSecond?: number; backend?: string; error?: string };
      await gpuBrowser.close();
      console.log(res.error ? `WebGPU: ${res.error}` : `\n${res.backend} on chromium's SwiftShader adapter (CPU-emulated), one step per run: ${Math.round(res.samplesPerSecond!)} samples/s`);
    }
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(`dist-web: ${mb(sizes.total)} (ONNX Runtime Web's WASM and WebGPU builds ${mb(sizes.ort)}, models ${mb(sizes.models)}, MNIST subset ${mb(sizes.data)}, the page's own code ${mb(sizes.code)}); a page on WASM fetches ${mb(sizes.wasmPage)} of it`);
  } finally {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
