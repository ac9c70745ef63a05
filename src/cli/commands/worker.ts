// a3t worker: takes sweep jobs from a queue until stopped (Ctrl-C finishes the running jobs; a second
// Ctrl-C quits at once, and other workers resume those jobs from their last epoch).
import os from 'node:os';
import { loadDataset } from '../../data/mnist.js';
import { usageError } from '../../errors.js';
import { dataPrintOf } from '../../sweep/job.js';
import { startWorker } from '../../sweep/queue-worker.js';
import { threadsPerWorker, threadsShown } from '../../sweep/threads.js';
import { type Flags, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { QUEUE_FLAGS, openQueueOf } from '../queue-flags.js';
import { DATA_FLAG, threadsFlag } from '../shared-flags.js';
import { a3tVersion } from '../version.js';

const FLAGS: Flags = {
  queue: { kind: 'text', flag: 'queue', placeholder: 'URL', help: 'the queue: redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss:// (TLS); the password may come from A3T_REDIS_PASSWORD instead' },
  concurrency: { kind: 'int', flag: 'concurrency', placeholder: 'N', min: 1, max: 64, help: 'jobs run at once by this process (default 1)' },
  threads: threadsFlag('ONNX Runtime threads per job (default: cores ÷ concurrency, or 0 for one job at a time; 0: ONNX Runtime decides)'),
  data: DATA_FLAG,
  stallSeconds: { kind: 'number', flag: 'stall-seconds', placeholder: 'S', min: 1, max: 3600, help: "seconds without a sign of life before another worker takes over this worker's job (default 30)" },
  ...QUEUE_FLAGS,
  ...OUTPUT_FLAGS,
};

export async function workerCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('worker', '--queue URL [flags]', argv, FLAGS);
  if (!p) return;
  if (p.flags.queue === undefined) throw usageError('--queue URL is required: the queue to take jobs from (e.g. redis://HOST:6379/0)');
  const log = output(p.flags);
  const concurrency = (p.flags.concurrency as number) ?? 1;
  const threads = (p.flags.threads as number) ?? threadsPerWorker(concurrency);
  const data = loadDataset(p.flags.data as string | undefined);
  const link = await openQueueOf('worker', p, p.flags.queue as string);
  const name = `${os.hostname()}:${process.pid}`;
  const worker = startWorker({ link, version: a3tVersion(), name, data, dataPrint: dataPrintOf(data), concurrency, threads, stallSeconds: (p.flags.stallSeconds as number) ?? 30, log: (l) => log.note(l) });
  log.note(`worker ${name} (a3t ${a3tVersion()}) takes jobs from ${link.address.display}: ${concurrency} at a time, ${threadsShown(threads)} thread(s) each`);
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      log.note('stopping: finishing the running jobs (press Ctrl-C again to quit now; other workers will resume them)');
      worker.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  try {
    await link.guard(stopped);
  } catch (e) {
    // Redis stayed away past --queue-timeout. A running job's training would keep this process alive to
    // the job's end: leave once the error line is printed (other workers resume it from its last saved epoch).
    setTimeout(() => process.exit(), 100).unref();
    void worker.close(true).catch(() => {});
    throw e;
  } finally {
    await link.close();
  }
}
