// a3t sweep SPEC.json: a grid of training settings × seeds, each run trained and tested, on this
// machine's worker processes or on a queue's workers (--queue); `a3t sweep --status URL` prints where
// the queue's latest sweep stands.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../data/mnist.js';
import { A3tError, inputError, usageError } from '../../errors.js';
import { percent } from '../../format.js';
import { sweepReport } from '../../report/sweep.js';
import { checkJobData, dataPrintOf, jobKey, sweepKey } from '../../sweep/job.js';
import { placeSweep, runWithProgress, writeSweepReport } from '../../sweep/run-to-report.js';
import { parseSweepSpec, sweepJobs } from '../../sweep/spec.js';
import { queueSweepStatus, statusLine } from '../../sweep/status.js';
import { openSweepDir } from '../../sweep/sweep-dir.js';
import { threadsPerWorker } from '../../sweep/threads.js';
import { type Flags, type Parsed, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { QUEUE_FLAGS, checkQueueTimeout, openQueueOf } from '../queue-flags.js';
import { DATA_FLAG, QUEUE_FLAG, WORKERS_FLAG, threadsFlag } from '../shared-flags.js';
import { a3tVersion } from '../version.js';

const FLAGS: Flags = {
  queue: QUEUE_FLAG,
  status: { kind: 'text', flag: 'status', placeholder: 'URL', help: "print where the queue's latest sweep stands, once, and exit" },
  workers: WORKERS_FLAG,
  threads: threadsFlag('without --queue: ONNX Runtime threads per worker (default: cores ÷ workers)'),
  data: DATA_FLAG,
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
  const workers = Math.min((p.flags.workers as number) ?? os.availableParallelism(), jobs.length);
  const threads = (p.flags.threads as number) ?? threadsPerWorker(workers);
  const placement = placeSweep({ queue: p.flags.queue === undefined ? undefined : await openQueueOf('sweep', p, p.flags.queue as string), workers, threads, dataDir });
  try {
    const id = sweepKey(jobs.map(jobKey));
    const opened = openSweepDir(out, { id, command: 'sweep', runs: jobs.length }, !!p.flags.force);
    const { results, wallSeconds } = await runWithProgress(
      {
        id,
        jobs,
        out,
        blobs: {},
        placement,
        label: 'sweep',
        what: `${jobs.length} runs`,
        continued: opened === 'continued',
        resultLine: (r, earlier) => `${r.regime} seed ${r.seed}: test clean ${percent(r.test.clean)}, FGSM ε=${spec.eval.testEps} ${percent(r.test.fgsm)}${earlier ? ' (written before this start)' : ''}`,
      },
      log,
    );
    const report = sweepReport({ spec, ...placement.settings }, results, wallSeconds, spec.eval.testEps);
    writeSweepReport(out, report);
    log.result(`${report.markdown}Report: ${join(out, 'report.md')}\n`, { ...report.json, out });
  } finally {
    await placement.close();
  }
}
