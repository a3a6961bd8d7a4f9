/**
 * The HTTP floor of the scale phase: the least any server could do to answer a page of
 * issues over HTTP. A bare `node:http` server in its own process (as `kite serve` is),
 * with no framework, validation, authorization, logging or totals: it fetches the page's
 * issues by primary key through a `pg` pool (prepared, the store's own column list) and
 * writes them as JSON. Measured at 16 in flight beside each request, it says how much of
 * a request's p99 this machine imposes whatever the server does.
 *
 * Run as a script (`node --import tsx bench/http-floor.ts <database url>`), it serves
 * `GET /page?ids=<uuid>,<uuid>,…` and prints `listening <url>`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { issueColumns } from '../src/store/issue-rows.js';

const PAGE = `SELECT ${issueColumns('i')} FROM issues i
  WHERE i.id = ANY($1::uuid[]) ORDER BY i.detected_at DESC, i.id DESC`;

export interface HttpFloor {
  url: string;
  stop(): Promise<void>;
}

export function startHttpFloor(databaseUrl: string): Promise<HttpFloor> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), databaseUrl],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening (http:\S+)/.exec(output)?.[1];
      if (!url) return;
      resolve({
        url,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`http floor exited with ${code}: ${output}`)));
  });
}

function serve(databaseUrl: string): void {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const server = createServer((request, response) => {
    const ids = new URL(request.url ?? '/', 'http://floor').searchParams.get('ids') ?? '';
    pool
      .query({ name: 'floor_page', text: PAGE, values: [ids.split(',')] })
      .then((result) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ data: result.rows }));
      })
      .catch((error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') {
      console.log(`listening http://127.0.0.1:${address.port}`);
    }
  });
  process.once('SIGTERM', () => {
    server.close();
    void pool.end().then(() => process.exit(0));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve(process.argv[2] ?? '');
