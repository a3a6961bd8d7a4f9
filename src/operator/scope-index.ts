/**
 * Order safety inside the operator: per scope, the most recent completed run decides.
 * The index holds the outcome and completion time of every cached run by scope, so that
 * when a run is about to be reported the operator can tell whether a newer run of the
 * same scope already superseded it. The server enforces the same rule with the times it
 * is sent (docs/decisions/0006-run-order.md); this covers what it cannot see: a success
 * of a scope that has no issue yet, followed by the report of an older failure.
 */
import type { Observation } from './controller.js';

interface Judged {
  outcome: Observation['outcome'];
  completedAt: number;
  variant: string;
}

export function scopeKeyOf(observation: Observation): string {
  const { namespace, issueType, scopeType, scopeName } = observation;
  return [namespace, issueType, scopeType, scopeName].join('\n');
}

export class ScopeIndex {
  private readonly runsByScope = new Map<string, Map<string, Judged>>();
  private readonly scopeOfRun = new Map<string, string>();

  /** Records (or, with no observation, forgets) what a run showed. */
  set(runKey: string, observation: Observation | undefined): void {
    this.delete(runKey);
    if (!observation) return;
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
    const self = judged(observation);
    const runs = [...(this.runsByScope.get(scopeKeyOf(observation))?.values() ?? []), self];
    if (self.outcome === 'failure') {
      return !runs.some(
        (run) =>
          run.variant === self.variant &&
          run.outcome === 'success' &&
          run.completedAt > self.completedAt,
      );
    }
    const latest = new Map<string, Judged>();
    for (const run of runs) {
      const current = latest.get(run.variant);
      if (!current || run.completedAt > current.completedAt) latest.set(run.variant, run);
    }
    return [...latest.values()].every((run) => run.outcome === 'success');
  }

  get scopes(): number {
    return this.runsByScope.size;
  }
}

function judged(observation: Observation): Judged {
  return {
    outcome: observation.outcome,
    completedAt: Date.parse(observation.completedAt) || 0,
    variant: observation.variant ?? '',
  };
}
