/** The log viewer, loaded only when a log is shown (its code and styles are a chunk of their own). */
import { lazy, Suspense } from 'react';
import { Loading } from '../components/states.js';
import type { LogViewerProps } from '../logs/log-viewer.js';

const Viewer = lazy(() => import('../logs/log-viewer.js'));

export function LogViewer(props: LogViewerProps) {
  return (
    <Suspense fallback={<Loading what="the log viewer" />}>
      <Viewer {...props} />
    </Suspense>
  );
}
