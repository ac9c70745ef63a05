// a3t sweep SPEC.json: a grid of training settings × seeds, each run trained and tested, on this
// machine's worker processes or on a queue's workers (--queue); `a3t sweep --status URL` prints where
// the queue's latest sweep stands.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../data/mnist.js';
import { A3tError, inputError, usageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { percent } from '../../format.js';
import { sweepReport } from '../../report/sweep.js';
import { checkJobData, dataPrintOf, jobKey, sweepKey } from '../../sweep/job.js';
import type { QueueLink } from '../../sweep/queue-link.js';
import { type SweepPlan, runSweep } from '../../sweep/run-sweep.js';
import { parseSweepSpec, sweepJobs } from '../../sweep/spec.js';
import { queueSweepStatus, statusLine, statusText } from '../../sweep/status.js';
import { openSweepDir } from '../../sweep/sweep-dir.js';
import { type Flags, type Parsed, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { QUEUE_FLAGS, checkQueueTimeout, openQueueOf } from '../queue-flags.js';
import { a3tVersion } from '../version.js';

const FLAGS: Flags = {
  queue: { kind: 'text', flag: 'queue', placeholder: 'URL', help: 'run on the workers of a queue: redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss:// (TLS); the same command again continues the sweep' },
  status: { kind: 'text', flag: 'status', placeholder: 'URL', help: "print where the queue's latest sweep stands, once, and exit" },
  workers: { kind: 'int', flag: 'workers', placeholder: 'N', min: 1, max: 64, help: 'without --queue: parallel worker processes (default: one per core)' },
  threads: { kind: 'int', flag: 'threads', placeholder: 'T', min: 0, max: 256, help: 'without --queue: ONNX Runtime threads per worker (default: cores ÷ workers)' },
  data: { kind: 'text', flag: 'data', placeholder: 'DIR', help: 'directory of MNIST-format IDX files (default: the bundled MNIST); queue workers use their own --data' },
  out: { kind: 'text', flag: 'out', placeholder: 'DIR', help: 'report directory (default reports/sweep)' },
  force: { kind: 'flag', flag: 'force', help: 'overwrite an existing report directory that holds another sweep' },
  ...QUEUE_FLAGS,
  ...OUTPUT_FLAGS,
};

async function printStatus(p: Parsed, url: string, json: boolean): Promise<void> {
  const link = await openQueueOf('sweep', p, url);
  try {
    const { meta, status: s } = await queueSweepStatus(link);
    process.stdout.write(json ? `${JSON.stringify({ sweep: meta.id, started: new Date(meta.started).toISOString(), ...s }, null, 2)}\n` : `sweep ${meta.id}: ${statusLine(s, meta)}\n`);
  } finally {
    await link.close();
  }
}

export async function sweepCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('sweep', 'SPEC.json [flags] | --status URL', argv, FLAGS, 1);
  if (!p) return;
  if (p.flags.status !== undefined) {
    if (p.positional.length > 0) throw usageError('--status prints the queue\'s sweep and takes no SPEC.json');
    return printStatus(p, p.flags.status as string, !!p.flags.json);
  }
  const file = p.positional[0];
  if (file === undefined) throw usageError('expected SPEC.json, the sweep to run (see a3t sweep --help), or --status URL');
  if (p.flags.queue !== undefined && (p.flags.workers !== undefined || p.flags.threads !== undefined))
    throw usageError('--workers and --threads set processes on this machine; with --queue, give them to a3t worker instead');
  if (p.flags.queue === undefined) checkQueueTimeout(p, '--queue or --status');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw inputError(`${file}: cannot read the sweep spec (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const spec = parseSweepSpec(text, file);
  const dataDir = p.flags.data as string | undefined;
  const data = loadDataset(dataDir);
  const print = dataPrintOf(data);
  const jobs = sweepJobs(spec, a3tVersion(), file, print);
  for (const job of jobs) {
    try {
      checkJobData(job, data, print);
    } catch (e) {
      if (!(e instanceof A3tError)) throw e;
      throw inputError(`${file}: ${job.group}, seed ${job.seed}: ${e.message.replace(/^job refused: /, '')}`);
    }
  }
  const log = output(p.flags);
  const out = (p.flags.out as string) ?? join('reports', 'sweep');
  const cores = os.availableParallelism();
  const workers = Math.min((p.flags.workers as number) ?? cores, jobs.length);
  const threads = (p.flags.threads as number) ?? (workers > 1 ? Math.max(1, Math.floor(cores / workers)) : 0);
  let link: QueueLink | undefined;
  if (p.flags.queue !== undefined) link = await openQueueOf('sweep', p, p.flags.queue as string);
  try {
    const id = sweepKey(jobs.map(jobKey));
    const opened = openSweepDir(out, { id, command: 'sweep', runs: jobs.length }, !!p.flags.force);
    const where: SweepPlan['where'] = link ? { queue: link } : { local: { workers, threads, dataDir } };
    log.note(`${jobs.length} runs, ${link ? `on the queue at ${link.address.display}` : `${workers} worker(s) × ${threads || cores} thread(s)`}${opened === 'continued' ? `; continuing the sweep in ${out}` : ''}`);
    const bar = log.progress('sweep');
    let finished = 0;
    const started = performance.now();
    const results = await runSweep({
      id,
      jobs,
      out,
      blobs: {},
      where,
      onStatus: (s) => bar.update(s.progress, s.total, statusText(s)),
      onResult: (r, earlier) => {
        finished++;
        bar.log(`${r.regime} seed ${r.seed}: test clean ${percent(r.test.clean)}, FGSM ε=${spec.eval.testEps} ${percent(r.test.fgsm)}${earlier ? ' (written before this start)' : ''}`);
        if (!link) bar.update(finished, jobs.length, `${finished}/${jobs.length} runs`);
      },
    });
    bar.done();
    const wallSeconds = (performance.now() - started) / 1000;
    const settings = { spec, ...(link ? { queue: link.address.display } : { workers, threadsPerWorker: threads || cores }) };
    const report = sweepReport(settings, results, wallSeconds, spec.eval.testEps);
    writeFileAtomic(join(out, 'report.json'), JSON.stringify(report.json, null, 2) + '\n');
    writeFileAtomic(join(out, 'report.md'), report.markdown);
    log.result(`${report.markdown}Report: ${join(out, 'report.md')}\n`, { ...report.json, out });
  } finally {
    await link?.close();
  }
}
