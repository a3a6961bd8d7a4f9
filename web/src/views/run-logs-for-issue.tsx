/**
 * The run logs inline on an issue's page: a MintMaker issue links to its run's logs
 * (`…/api/v1/mintmaker/runs/<run>/logs[?runNamespace=…]`, the operator's "Run logs" or
 * the "MintMaker run logs" KITE adds); the first such link opens in the log viewer here.
 * Issues without one show nothing.
 */
import { Card, CardBody, CardTitle } from '@patternfly/react-core';
import type { Issue } from '../../../src/client/types.js';
import { runOfLink } from '../../../src/domain/run-link.js';
import { Link } from '../router.js';
import { LogViewer } from './lazy-log-viewer.js';

export function RunLogsForIssue({ issue }: { issue: Issue }) {
  const target = issue.links.map((link) => runOfLink(link.url)).find(Boolean);
  if (!target) return null;
  const query = new URLSearchParams({ namespace: issue.namespace });
  if (target.runNamespace) query.set('runNamespace', target.runNamespace);
  return (
    <Card data-testid="issue-run-logs">
      <CardTitle component="h2">Run logs</CardTitle>
      <CardBody>
        <p>
          <Link to={`runs/${encodeURIComponent(target.run)}/logs?${query}`}>
            Open {target.run} in the log viewer
          </Link>
        </p>
        <LogViewer run={target.run} runNamespace={target.runNamespace} anchors={false} />
      </CardBody>
    </Card>
  );
}
