/**
 * MintMaker's run labels and the one rule for whose a run is. MintMaker runs Renovate as
 * PipelineRuns in its own namespace, labelled with the component's namespace and name;
 * that label is trusted only on runs in the MintMaker namespace (anyone can label a run
 * in their own namespace). A MintMaker run found anywhere else belongs to the namespace
 * it runs in.
 */
export const MINTMAKER_LABELS = {
  namespace: 'mintmaker.appstudio.redhat.com/namespace',
  component: 'mintmaker.appstudio.redhat.com/component',
  gitHost: 'mintmaker.appstudio.redhat.com/git-host',
  repository: 'mintmaker.appstudio.redhat.com/repository',
  branch: 'mintmaker.appstudio.redhat.com/branch',
  repoBranchHash: 'mintmaker.appstudio.redhat.com/repo-branch-hash',
  application: 'mintmaker.appstudio.redhat.com/application',
  /** On the Renovate log analyzer's issues: `<git host>/<repository>@<branch>`. */
  pipelineId: 'mintmaker.appstudio.redhat.com/pipeline-id',
} as const;

/** The component and the namespace a MintMaker run belongs to; undefined when it is not one. */
export function mintmakerOwner(
  runNamespace: string,
  labels: Readonly<Record<string, string>> | undefined,
  mintmakerNamespace: string,
): { namespace: string; component: string } | undefined {
  const component = labels?.[MINTMAKER_LABELS.component];
  const namespace =
    runNamespace === mintmakerNamespace ? labels?.[MINTMAKER_LABELS.namespace] : runNamespace;
  return component && namespace ? { namespace, component } : undefined;
}

/**
 * How a client's claim on a run ("run X is component C of namespace N") compares with
 * what the cluster says about the run of that name:
 * - `no-live-run`: the cluster has no such run (pruned, or not yet seen): the claim is
 *   all there is, and is kept;
 * - `agrees`: the live run is the claimed one (same uid) with the claimed owner;
 * - `other-owner`: the live run belongs to another namespace: the cluster wins;
 * - `other-run`: a live run of that name is another object (another uid): the claim is
 *   about a run the cluster cannot vouch for, under a name the live run now holds.
 */
export type RunClaimVerdict = 'no-live-run' | 'agrees' | 'other-owner' | 'other-run';

export function judgeRunClaim(
  claim: { namespace: string; uid?: string },
  live: { namespace: string; uid: string } | undefined,
): RunClaimVerdict {
  if (!live) return 'no-live-run';
  if (live.namespace !== claim.namespace) return 'other-owner';
  if (claim.uid !== undefined && live.uid !== '' && live.uid !== claim.uid) return 'other-run';
  return 'agrees';
}
