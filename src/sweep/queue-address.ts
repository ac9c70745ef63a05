// The --queue URL: redis://[USER:PASSWORD@]HOST[:PORT][/DB] or rediss:// for TLS. The password comes
// from the URL or A3T_REDIS_PASSWORD and appears in no message: errors and reports show `display`.
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { usageError } from '../errors.js';

export interface QueueAddress {
  /** The URL without user or password, for messages and reports. */
  display: string;
  options: RedisOptions;
}

const FORM = 'redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... for TLS';

/** The URL as given, with any password replaced by '***' (for messages about a malformed URL). */
const masked = (url: string): string => url.replace(/\/\/([^/@]*):[^/@]*@/, '//$1:***@');

export function parseQueueAddress(url: string, env: NodeJS.ProcessEnv = process.env): QueueAddress {
  const fail = (why: string): never => {
    throw usageError(`--queue must be ${FORM}: ${why}, got '${masked(url)}'`);
  };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') fail(`the scheme must be redis or rediss, not ${u.protocol.replace(/:$/, '')}`);
  if (!u.hostname) fail('no host');
  if (u.search || u.hash) fail('no query or fragment is read');
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  if (!/^\d{0,5}$/.test(path)) fail(`the path must be a database number`);
  const db = path === '' ? 0 : Number(path);
  const password = u.password ? decodeURIComponent(u.password) : env.A3T_REDIS_PASSWORD || undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  // SNI takes host names only (Node warns about an IP address).
  const tls = u.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {};
  return { display: `${u.protocol}//${u.host}/${db}`, options: { host, port, db, username, password, ...tls } };
}
