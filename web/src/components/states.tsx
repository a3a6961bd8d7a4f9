/** Loading, empty and error states, shown where the data would be (never a blank page). */
import {
  Alert,
  AlertActionLink,
  Bullseye,
  EmptyState,
  EmptyStateBody,
  Spinner,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { describeError } from '../api.js';

export function Loading({ what }: { what: string }) {
  return (
    <Bullseye className="kite-state">
      <Spinner size="lg" aria-label={`Loading ${what}`} />
    </Bullseye>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <EmptyState titleText={title} headingLevel="h3" variant="sm">
      {children && <EmptyStateBody>{children}</EmptyStateBody>}
    </EmptyState>
  );
}

/** A failed request: its status and the server's message, with a retry. */
export function ErrorState({
  what,
  error,
  retry,
  action = 'load',
}: {
  what: string;
  error: unknown;
  retry?: () => unknown;
  /** What failed: "Could not <action> <what>". */
  action?: string;
}) {
  const { status, message } = describeError(error);
  const title = `Could not ${action} ${what}`;
  return (
    <Alert
      variant="danger"
      isInline
      role="alert"
      title={status ? `${title}: HTTP ${status}` : title}
      data-testid="error-state"
      actionLinks={retry && <AlertActionLink onClick={() => void retry()}>Retry</AlertActionLink>}
    >
      {message}
    </Alert>
  );
}

/** The three states of a query in one place; `children` renders the data. */
export function QueryState<T>({
  what,
  query,
  children,
}: {
  what: string;
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  if (query.error) return <ErrorState what={what} error={query.error} retry={query.refetch} />;
  if (query.isPending || query.data === undefined) return <Loading what={what} />;
  return <>{children(query.data)}</>;
}
