// A throwaway redis-server for tests: a free loopback port, its own temporary directory, no
// persistence; null (with the reason) where Debian's redis-server is not installed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url(db?: number): string;
  /** SIGSTOP: connections stay open but nothing answers (a host gone without closing them). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  stop(): Promise<void>;
}

export const REDIS_MISSING = spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed (apt-get install redis-server; .ci/run does it)' : null;

/** A loopback port nothing listens on (at the time of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Start a server; `extra` adds redis-server arguments (e.g. ['--requirepass', 'x']); `tls` serves TLS only, with that certificate. */
export async function startRedis(extra: string[] = [], tls?: { cert: string; key: string }): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'a3t-redis-'));
  const listen = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const child: ChildProcess = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${log}`)), 10_000);
    child.stdout!.on('data', (d) => {
      log += d;
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${log}`)));
  });
  return {
    port,
    url: (db = 0) => `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}/${db}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      // A paused server takes SIGTERM only once it runs again.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
