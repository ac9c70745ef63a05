// a3t serve: the page's headers and types, nothing served from outside its folder, clear errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../src/cli/run.js';
import { serveSite } from '../src/io/site-server.js';

const tmp = mkdtempSync(join(tmpdir(), 'a3t-serve-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** GET a raw path (not normalised by a URL parser, so '..' reaches the server). */
function get(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the site server isolates the page, types .wasm and .gz as bytes, and serves nothing outside its folder', async () => {
  const site = join(tmp, 'site');
  mkdirSync(join(site, 'ort'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<!doctype html>page');
  writeFileSync(join(site, 'ort', 'x.wasm'), 'wasm');
  writeFileSync(join(site, 'd.gz'), 'gz');
  writeFileSync(join(tmp, 'secret.txt'), 'secret');
  const s = await serveSite(site, 0);
  try {
    const index = await get(s.url, '/');
    assert.equal(index.status, 200);
    assert.equal(index.body, '<!doctype html>page');
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal((await get(s.url, '/ort/x.wasm')).headers['content-type'], 'application/wasm');
    const gz = await get(s.url, '/d.gz');
    assert.equal(gz.headers['content-type'], 'application/gzip');
    assert.equal(gz.headers['content-encoding'], undefined);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/ort/../../secret.txt', '/missing.js']) {
      const r = await get(s.url, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /secret/);
    }
  } finally {
    await s.close();
  }
});

test('a3t serve without a built site says how to build it', async () => {
  const err: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['serve', '--dir', join(tmp, 'nothing'), '--port', '0']), 1);
    assert.equal(await main(['serve', '--port', '70000']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err[0], /nothing: no built site there \(expected index\.html\); build it with npm run build:web, or name it with --dir/);
  assert.match(err[1], /--port/);
});
