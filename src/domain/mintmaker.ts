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
