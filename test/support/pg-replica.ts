/**
 * A PostgreSQL primary with a streaming replica of its own, for the read-replica tests and
 * benchmarks: two servers of the machine's PostgreSQL (Debian's, as CI installs it) in
 * fresh folders on free ports, the replica made by `pg_basebackup -R` as a real standby.
 * Run as the `postgres` user when started as root (initdb refuses root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrimaryWithReplica {
  primaryUrl: string;
  replicaUrl: string;
  /** Stops the replica (until `startReplica`): what a replica that is down looks like. */
  stopReplica(): void;
  startReplica(): void;
  stop(): void;
}

/** The binaries of the newest PostgreSQL installed; undefined when there is none. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const bin = versions
    .map((v) => join(root, v, 'bin'))
    .find((dir) => existsSync(join(dir, 'initdb')));
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrimaryWithReplica(): Promise<PrimaryWithReplica> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL installed under /usr/lib/postgresql');
  const asPostgres = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asPostgres ? 'runuser' : join(bin, tool),
      asPostgres ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args,
      { stdio: 'pipe', cwd: tmpdir() },
    );
  const root = mkdtempSync(join(tmpdir(), 'kite-pg-pair-'));
  chmodSync(root, 0o777);
  const primary = join(root, 'primary');
  const replica = join(root, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  run('initdb', [
    '-D',
    primary,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  const serverOptions = (port: number) =>
    `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} ` +
    '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB';
  const start = (dir: string, port: number) =>
    run('pg_ctl', ['-D', dir, '-o', serverOptions(port), '-l', `${dir}.log`, '-w', 'start']);
  start(primary, primaryPort);
  run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    replica,
    '-R',
    '-X',
    'stream',
  ]);
  start(replica, replicaPort);
  const stopServer = (dir: string) => run('pg_ctl', ['-D', dir, '-m', 'fast', '-w', 'stop']);
  let replicaUp = true;
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
    stopReplica() {
      if (replicaUp) stopServer(replica);
      replicaUp = false;
    },
    startReplica() {
      if (!replicaUp) start(replica, replicaPort);
      replicaUp = true;
    },
    stop() {
      if (replicaUp) stopServer(replica);
      stopServer(primary);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
