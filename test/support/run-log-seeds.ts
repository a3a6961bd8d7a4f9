/**
 * MintMaker runs and logs for the log viewer's browser tests, archived the way the bridge
 * operator does it (register the run, upload each step) as `token-operator`, and a
 * 50 MB Renovate log with one findable line deep inside.
 */
import assert from 'node:assert/strict';
import { liveMintmakerRun } from './mintmaker-live-run.js';

export const OPERATOR = { authorization: 'Bearer token-operator' };

/** The line that search must find, and where it is (1-based, in the big log). */
export const DEEP_NEEDLE = 'needle-deep-in-the-log-7f3a';

export interface SeedRun {
  name: string;
  namespace: string;
  component: string;
  status: 'Succeeded' | 'Failed' | 'Running' | 'Unknown';
  completionTime: string;
  steps: [task: string, step: string, text: string][];
}

export async function archiveRun(baseUrl: string, run: SeedRun): Promise<void> {
  const { steps, ...record } = run;
  const created = await fetch(`${baseUrl}/api/v1/mintmaker/runs`, {
    method: 'POST',
    headers: { ...OPERATOR, 'content-type': 'application/json' },
    body: JSON.stringify({
      ...record,
      uid: `uid-${run.name}`,
      gitHost: 'github.com',
      repository: `acme/${run.component}`,
      branch: 'main',
      startTime: new Date(Date.parse(run.completionTime) - 240_000).toISOString(),
    }),
  });
  assert.equal(created.status, 201, await created.text());
  for (const [position, [task, step, text]] of steps.entries()) {
    const uploaded = await fetch(
      `${baseUrl}/api/v1/mintmaker/runs/${run.name}/steps/${task}/${step}?position=${position}`,
      { method: 'PUT', headers: { ...OPERATOR, 'content-type': 'text/plain' }, body: text },
    );
    assert.equal(uploaded.status, 200, await uploaded.text());
  }
}

const LEVELS = [20, 30, 30, 30, 40, 50];

/** Renovate JSON lines, `count` of them, the DEEP_NEEDLE on line `needleAt` (1-based). */
export function renovateLog(count: number, needleAt = -1): string {
  const lines: string[] = [];
  const start = Date.UTC(2026, 11, 3, 7, 0);
  for (let i = 1; i <= count; i++) {
    const level = LEVELS[i % LEVELS.length]!;
    const msg =
      i === needleAt
        ? `Found ${DEEP_NEEDLE} in package-lock.json`
        : `Checking dependency lodash-${i % 977} against registry (attempt ${i})`;
    lines.push(
      JSON.stringify({ level, time: new Date(start + i * 10).toISOString(), msg, n: i % 10 }),
    );
  }
  return lines.join('\n') + '\n';
}

/** A running MintMaker run of team-a's `frontend` in the Kubernetes API double: one task, one step. */
export const LIVE_RUN = 'renovate-live';
const POD = `${LIVE_RUN}-pod`;

export function liveRunObjects(finished: boolean) {
  const run = liveMintmakerRun({
    name: LIVE_RUN,
    uid: 'uid-live',
    owner: 'team-a',
    task: 'build',
    podName: POD,
    steps: ['renovate'],
    startTime: '2026-12-03T09:00:00Z',
    outcome: 'Succeeded',
  });
  return {
    pipelineRun: run.pipelineRun(finished),
    taskRun: run.taskRun(finished),
    pod: run.pod,
    podName: POD,
    container: 'step-renovate',
  };
}
