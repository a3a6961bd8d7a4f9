/**
 * The cost of authorization: list requests per second against a server with Kubernetes
 * authorization on (TokenReview + SubjectAccessReview, answered from the caches after
 * the first request) as a ratio to the same server with it off. Target ≥ 0.8.
 * The Kubernetes API is the test double of the test suite (real HTTP, real client).
 */
import autocannon from 'autocannon';
import type { Database } from '../src/store/database.js';
import { startKubeApiDouble } from '../test/support/kube-api.js';
import { fmt, median, startKite, type KiteProcess } from './support.js';

const TOKEN = 'bench-user-token';

export async function authPhase(
  databaseUrl: string,
  db: Database,
  plain: KiteProcess,
  rounds: number,
  seconds: number,
): Promise<void> {
  const seeded = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM issues WHERE namespace = 'ns-5'`,
  );
  if ((seeded.rows[0]?.n ?? 0) === 0) {
    await db.query(
      `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace, title, description, severity, state)
       SELECT 'ns-' || (g % 10), 'build', 'component', 'c-' || g, 'ns-' || (g % 10), 'Build failed', 'exit 1', 'major', 'ACTIVE'
       FROM generate_series(1, 10000) AS g`,
    );
  }
  const kube = await startKubeApiDouble();
  kube.users.set(TOKEN, { username: 'bench', groups: ['bench-team'] });
  for (const namespace of ['ns-5', 'ns-6']) {
    kube.grants.push({
      group: 'bench-team',
      verb: 'get',
      apiGroup: 'kite.konflux-ci.dev',
      resource: 'issues',
      namespace,
    });
  }
  const secured = await startKite(databaseUrl, {
    KITE_AUTH_MODE: 'kubernetes',
    KUBECONFIG: kube.kubeconfig,
  });
  const shapes = [
    { name: 'list: namespace, newest 50', path: '/api/v1/issues?namespace=ns-5' },
    {
      name: 'list: namespace + severity, limit=1',
      path: '/api/v1/issues?namespace=ns-6&severity=major&limit=1',
    },
  ];
  const load = (url: string, path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      autocannon(
        { url, connections: 16, duration: seconds, requests: [{ method: 'GET', path, headers }] },
        (error, result) => {
          if (error) return reject(error instanceof Error ? error : new Error(String(error)));
          if (result.non2xx > 0)
            return reject(new Error(`${result.non2xx} requests failed on ${path}`));
          resolve(result.requests.average);
        },
      );
    });
  try {
    const results = new Map<string, { off: number[]; on: number[] }>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const shape of shapes) {
        const entry = results.get(shape.name) ?? { off: [], on: [] };
        entry.off.push(await load(plain.url, shape.path, {}));
        entry.on.push(await load(secured.url, shape.path, { authorization: `Bearer ${TOKEN}` }));
        results.set(shape.name, entry);
      }
      console.log(`auth round ${round} done`);
    }
    console.log(`\n## Authorization on (cached) vs off (16 in flight, median of ${rounds})\n`);
    console.log('| measurement | off req/s | on req/s | on / off |\n| --- | ---: | ---: | ---: |');
    for (const [name, { off, on }] of results) {
      console.log(
        `| ${name} | ${fmt(median(off), 0)} | ${fmt(median(on), 0)} | ${fmt(median(on) / median(off), 2)} |`,
      );
    }
    console.log(
      `\nreviews sent for all of that: ${kube.calls.tokenReviews} TokenReview(s), ${kube.calls.subjectAccessReviews} SubjectAccessReview(s) (target ratio >= 0.80)`,
    );
  } finally {
    await secured.stop();
    await kube.close();
  }
}
