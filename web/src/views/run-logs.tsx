/**
 * One MintMaker run's log page (`runs/<run>/logs`, also `runs/<run>`): what the runs
 * list knows of the run (when the URL names its namespace), then the log viewer.
 */
import { Flex, PageSection, Title } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { kite } from '../api.js';
import { Link, useLocation } from '../router.js';
import { LogViewer } from './lazy-log-viewer.js';
import { RunStatus } from './run-status.js';

export function RunLogs({ run }: { run: string }) {
  const { search } = useLocation();
  const namespace = search.get('namespace') ?? '';
  const component = search.get('component') ?? '';
  const runNamespace = search.get('runNamespace') ?? undefined;
  const listed = useQuery({
    queryKey: ['runs', namespace, component, 'find', run],
    queryFn: ({ signal }) =>
      kite.listRuns({ namespace, component: component || undefined, limit: 200 }, { signal }),
    enabled: namespace !== '',
  });
  const found = listed.data?.data.find((r) => r.name === run);
  const back = namespace ? `runs?namespace=${encodeURIComponent(namespace)}` : 'runs';
  return (
    <>
      <PageSection>
        <Flex gap={{ default: 'gapSm' }} alignItems={{ default: 'alignItemsCenter' }}>
          <Link to={back}>MintMaker runs{namespace ? ` of ${namespace}` : ''}</Link>
          {found && <RunStatus status={found.status} />}
        </Flex>
        <Title headingLevel="h1" data-testid="run-title">
          {run}
        </Title>
        {found && (
          <p className="kite-muted">
            {found.component}
            {found.repository ? ` · ${found.repository}` : ''}
            {found.branch ? `@${found.branch}` : ''}
          </p>
        )}
      </PageSection>
      <PageSection>
        {namespace !== '' && listed.isPending ? null : (
          <LogViewer
            run={run}
            runNamespace={
              runNamespace ??
              (found && found.runNamespace !== 'mintmaker' ? found.runNamespace : undefined)
            }
            running={found?.status === 'Running'}
          />
        )}
      </PageSection>
    </>
  );
}
