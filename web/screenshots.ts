// The README's screenshots of the page: the attack lab (PGD-40 at ε 0.2 against the plain model) and
// an A3T run trained in the tab; also a phone-sized view of the lab, to check the layout.
// Usage: node --import tsx web/screenshots.ts [OUTDIR] (default docs/web)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serveSite } from '../src/io/site-server.js';
import { buildWeb } from './build.js';

const out = resolve(process.argv[2] ?? 'docs/web');
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'a3t-shots-'));
await buildWeb(dir);
const site = await serveSite(dir, 0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(site.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  await page.fill('#test-index', '3');
  await page.dispatchEvent('#test-index', 'change');
  await page.fill('#eps', '0.2');
  await page.waitForFunction(() => /ε 0\.20 against plain: (held|fooled)/.test(document.querySelector('#lab-status')?.textContent ?? ''));
  await page.screenshot({ path: join(out, 'lab.png'), fullPage: true });
  await page.click('#tab-train');
  await page.selectOption('#regime', 'a3t');
  await page.fill('#train-epochs', '5');
  await page.click('#train-start');
  await page.waitForSelector('#train-status[data-done=true]', { timeout: 300_000 });
  await page.screenshot({ path: join(out, 'train.png'), fullPage: true });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await phone.goto(site.url);
  await phone.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  await phone.screenshot({ path: join(out, 'lab-phone.png'), fullPage: true });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
}
