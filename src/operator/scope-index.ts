/**
 * Order safety inside the operator: per scope, the most recent completed run decides.
 * The index holds the latest observation of every cached run by scope, so that when a
 * run is about to be reported the operator can tell whether a newer run of the same
 * scope already superseded it, and which variants (integration test scenarios) of the
 * scope fail right now. The server enforces the order rule with the times it is sent
 * (docs/decisions/0006-run-order.md); this covers what it cannot see: a success of a
 * scope that has no issue yet, followed by the report of an older failure. Cancelled
 * runs are not recorded: they say nothing about their scope.
 */
import type { Observation } from './controller.js';

interface Judged {
  outcome: Observation['outcome'];
  completedAt: number;
  variant: string;
  observation: Observation;
}

export function scopeKeyOf(observation: Observation): string {
  const { namespace, issueType, scopeType, scopeName } = observation;
  return [namespace, issueType, scopeType, scopeName].join('\n');
}

export class ScopeIndex {
  private readonly runsByScope = new Map<string, Map<string, Judged>>();
  private readonly scopeOfRun = new Map<string, string>();

  /** Records (or, with no observation or a cancelled run, forgets) what a run showed. */
  set(runKey: string, observation: Observation | undefined): void {
    this.delete(runKey);
    if (!observation || observation.outcome === 'cancelled') return;
    const scope = scopeKeyOf(observation);
    let runs = this.runsByScope.get(scope);
    if (!runs) this.runsByScope.set(scope, (runs = new Map<string, Judged>()));
    runs.set(runKey, judged(observation));
    this.scopeOfRun.set(runKey, scope);
  }

  delete(runKey: string): void {
    const scope = this.scopeOfRun.get(runKey);
    if (scope === undefined) return;
    this.scopeOfRun.delete(runKey);
    const runs = this.runsByScope.get(scope);
    runs?.delete(runKey);
    if (runs?.size === 0) this.runsByScope.delete(scope);
  }

  /**
   * Whether reporting this observation is still right. A failure is not reported when a
   * newer success of the same variant exists (the problem already went away). A success
   * is not reported while the latest run of any variant of its scope failed (that
   * failure, or a newer one, is what the scope's issue is about).
   */
  shouldReport(observation: Observation): boolean {
    if (observation.outcome === 'cancelled') return false;
    const self = judged(observation);
    if (self.outcome === 'failure') {
      return !this.runsOf(observation).some(
        (run) =>
          run.variant === self.variant &&
          run.outcome === 'success' &&
          run.completedAt > self.completedAt,
      );
    }
    return [...this.latestByVariant(observation).values()].every(
      (run) => run.outcome === 'success',
    );
  }

  /**
   * The latest observation of each variant of the observation's scope (itself included),
   * by variant name.
   */
  latestByVariant(observation: Observation): Map<string, Judged> {
    const latest = new Map<string, Judged>();
    for (const run of [...this.runsOf(observation), judged(observation)]) {
      const current = latest.get(run.variant);
      if (!current || run.completedAt > current.completedAt) latest.set(run.variant, run);
    }
    return new Map([...latest].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * Whether another variant's latest run still waits for details (its failed tasks): an
   * issue that lists every failing variant waits for them too, like the run itself.
   */
  waitsForVariants(observation: Observation): boolean {
    if (observation.variant === undefined) return false;
    return [...this.latestByVariant(observation).values()].some(
      (run) => run.variant !== (observation.variant ?? '') && run.observation.incomplete === true,
    );
  }

  get scopes(): number {
    return this.runsByScope.size;
  }

  private runsOf(observation: Observation): Judged[] {
    return [...(this.runsByScope.get(scopeKeyOf(observation))?.values() ?? [])];
  }
}

function judged(observation: Observation): Judged {
  return {
    outcome: observation.outcome,
    completedAt: Date.parse(observation.completedAt) || 0,
    variant: observation.variant ?? '',
    observation,
  };
}
