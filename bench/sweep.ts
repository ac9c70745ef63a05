// Scaling of a sweep on the queue: `a3t reproduce --quick` with 1, 2 and 4 `a3t worker` processes on
// this machine (each with cores ÷ workers ONNX Runtime threads), beside the same reproduce run locally,
// all in one run. Usage: npm run bench:sweep [-- --workers 1,2,4] [-- REPRODUCE FLAGS...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REDIS_MISSING, startRedis } from '../test/redis-server.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--workers');
const counts = at >= 0 ? argv.splice(at, 2)[1].split(',').map(Number) : [1, 2, 4];
const reproduce = argv.length > 0 ? argv : ['--quick'];
if (REDIS_MISSING) throw new Error(REDIS_MISSING);
const cores = os.availableParallelism();
const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-bench-sweep-'));
const a3t = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
const exited = (c: ReturnType<typeof a3t>) => new Promise<number | null>((r) => c.on('close', r));

/** Wall seconds of one reproduce (the coordinator's whole command) and its report's wall time (the runs only). */
async function timed(args: string[], out: string): Promise<{ wall: number; runs: number }> {
  const t0 = performance.now();
  const code = await exited(a3t(['reproduce', ...reproduce, ...args, '--out', out, '--quiet']));
  if (code !== 0) throw new Error(`reproduce ${args.join(' ')} exited with ${code}`);
  return { wall: (performance.now() - t0) / 1000, runs: (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { wallSeconds: number }).wallSeconds };
}

const redis = await startRedis();
const rows: string[] = [];
try {
  console.log(`a3t reproduce ${reproduce.join(' ')} on ${cores} cores (${os.cpus()[0].model}), load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const local = await timed([], join(tmp, 'local'));
  rows.push(`| local (reproduce's own ${cores} worker processes) | ${local.wall.toFixed(1)} | ${local.runs.toFixed(1)} | — |`);
  let one = 0;
  for (const [i, n] of counts.entries()) {
    const threads = String(Math.max(1, Math.floor(cores / n)));
    const workers = Array.from({ length: n }, () => a3t(['worker', '--queue', redis.url(i), '--threads', threads, '--quiet']));
    const t = await timed(['--queue', redis.url(i)], join(tmp, `queue-${n}`));
    for (const w of workers) w.kill('SIGKILL');
    one ||= t.runs;
    rows.push(`| queue, ${n} worker${n > 1 ? 's' : ''} × ${threads} thread(s) | ${t.wall.toFixed(1)} | ${t.runs.toFixed(1)} | ${(one / t.runs).toFixed(2)}× |`);
    console.log(rows.at(-1));
  }
  console.log(`\n| where the runs ran | command wall s | runs wall s | speed-up over 1 worker |\n| --- | ---: | ---: | ---: |\n${rows.join('\n')}`);
} finally {
  await redis.stop();
  rmSync(tmp, { recursive: true, force: true });
}
