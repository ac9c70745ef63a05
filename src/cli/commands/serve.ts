// a3t serve: the browser page (attack lab, training in a tab) on a local web server.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputError } from '../../errors.js';
import { serveSite } from '../../io/site-server.js';
import { type Flags, parseOrHelp } from '../args.js';

const FLAGS: Flags = {
  port: { kind: 'int', flag: 'port', placeholder: 'N', min: 0, max: 65535, help: 'port to listen on (default 8080; 0: any free port)' },
  host: { kind: 'text', flag: 'host', placeholder: 'HOST', help: 'address to listen on (default 127.0.0.1: this machine only)' },
  dir: { kind: 'text', flag: 'dir', placeholder: 'DIR', help: 'the built site (default: dist-web of the a3t package, made by npm run build:web)' },
};

/** The package's dist-web (this file is dist/cli/commands/serve.js or src/cli/commands/serve.ts). */
const defaultDir = () => join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'dist-web');

export async function serveCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('serve', '[flags]', argv, FLAGS);
  if (!p) return;
  const dir = (p.flags.dir as string) ?? defaultDir();
  if (!existsSync(join(dir, 'index.html'))) throw inputError(`${dir}: no built site there (expected index.html); build it with npm run build:web, or name it with --dir`);
  let site;
  try {
    site = await serveSite(dir, (p.flags.port as number) ?? 8080, (p.flags.host as string) ?? '127.0.0.1');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw inputError(`port ${p.flags.port ?? 8080} is in use; choose another with --port (0: any free port)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw inputError(`--host ${p.flags.host}: not an address of this machine`);
    throw e;
  }
  process.stderr.write(`a3t serve: the page is at ${site.url} (Ctrl-C stops the server)\n`);
  await new Promise<void>((ok) => process.once('SIGINT', () => void site.close().then(ok)));
}
