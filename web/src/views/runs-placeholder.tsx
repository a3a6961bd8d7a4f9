/**
 * Where the MintMaker runs page (`runs`) and its log viewer (`runs/<run>/logs`) will live.
 * Until then it points at the logs API, which already serves them.
 */
import { PageSection, Title } from '@patternfly/react-core';
import { Empty } from '../components/states.js';

export function RunsPlaceholder() {
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">MintMaker runs</Title>
      </PageSection>
      <PageSection>
        <Empty title="Not in the dashboard yet">
          The runs page and the log viewer come next. Meanwhile a run&apos;s logs are served at{' '}
          <code>api/v1/mintmaker/runs/&lt;run&gt;/logs?format=text</code> (docs/mintmaker-logs.md).
        </Empty>
      </PageSection>
    </>
  );
}
