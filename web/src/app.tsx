/** The page: masthead (live indicator, identity), navigation, and the view of the route. */
import {
  Button,
  Label,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadMain,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSection,
  PageSidebar,
  PageSidebarBody,
  SkipToContent,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { useSyncExternalStore } from 'react';
import { authMode, unauthorized } from './api.js';
import { AnonymousBanner, SignIn, useIdentity } from './components/identity.js';
import { ErrorState } from './components/states.js';
import { LiveProvider, useLive } from './live.js';
import { Link, MAIN_ID, match, useLocation } from './router.js';
import { IssueDetail } from './views/issue-detail.js';
import { IssuesList } from './views/issues-list.js';
import { Notifications } from './views/notifications.js';
import { RootCauseDetail } from './views/root-cause-detail.js';
import { RootCauses } from './views/root-causes.js';
import { Overview } from './views/overview.js';
import { RunLogs } from './views/run-logs.js';
import { Runs } from './views/runs.js';
import { Silences } from './views/silences.js';

/** The views by path; MintMaker runs and their log viewer get their own views here later. */
function View({ path }: { path: string }) {
  if (path === '') return <Overview />;
  if (path === 'issues') return <IssuesList />;
  const issue = match('issues/:id', path);
  if (issue) return <IssueDetail id={issue.id!} />;
  if (path === 'root-causes') return <RootCauses />;
  const group = match('root-causes/:id', path);
  if (group) return <RootCauseDetail id={group.id!} />;
  if (path === 'runs') return <Runs />;
  if (path === 'silences') return <Silences />;
  const run = match('runs/:run', path) ?? match('runs/:run/logs', path);
  if (run) return <RunLogs run={run.run!} />;
  if (path === 'notifications') return <Notifications />;
  return (
    <PageSection>
      <ErrorState what="this page" error={new Error(`No dashboard page at /${path}`)} />
    </PageSection>
  );
}

const NAV = [
  { to: '', label: 'Overview', active: (path: string) => path === '' },
  { to: 'issues', label: 'Issues', active: (path: string) => path.startsWith('issues') },
  {
    to: 'root-causes',
    label: 'Root causes',
    active: (path: string) => path.startsWith('root-causes'),
  },
  { to: 'runs', label: 'MintMaker runs', active: (path: string) => path.startsWith('runs') },
  { to: 'silences', label: 'Silences', active: (path: string) => path === 'silences' },
  {
    to: 'notifications',
    label: 'Notifications',
    active: (path: string) => path === 'notifications',
  },
];

function LiveIndicator() {
  const { status } = useLive();
  const text =
    status.kind === 'live'
      ? 'Live'
      : status.kind === 'connecting'
        ? 'Connecting…'
        : status.kind === 'retrying'
          ? `Reconnecting in ${status.inSeconds} s`
          : `Not live: ${status.reason}`;
  return (
    <Label
      color={status.kind === 'live' ? 'green' : 'grey'}
      data-testid="live-indicator"
      data-status={status.kind}
      role="status"
      aria-label="Live updates"
      aria-live="polite"
    >
      {text}
    </Label>
  );
}

function Header({ signedIn, onSignOut }: { signedIn: boolean; onSignOut: () => void }) {
  return (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <Link to="" className="kite-brand">
            KITE issues
          </Link>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            <ToolbarItem>
              <LiveIndicator />
            </ToolbarItem>
            {signedIn && (
              <ToolbarItem>
                <Button variant="secondary" onClick={onSignOut}>
                  Sign out
                </Button>
              </ToolbarItem>
            )}
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
}

function Sidebar({ path }: { path: string }) {
  return (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Dashboard">
          <NavList>
            {NAV.map((item) => (
              <NavItem key={item.to} isActive={item.active(path)}>
                <Link to={item.to} aria-current={item.active(path) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </NavItem>
            ))}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
}

export function App() {
  const { path } = useLocation();
  const identity = useIdentity();
  // A 401 from any request means "ask for a token" (api.ts, `unauthorized`).
  const rejected = useSyncExternalStore(unauthorized.subscribe, unauthorized.current);
  const content = rejected ? (
    <PageSection>
      {identity.token && <ErrorState what="your identity" error={rejected} />}
      <SignIn onSignIn={identity.signIn} />
    </PageSection>
  ) : (
    <View path={path} />
  );
  return (
    <LiveProvider key={identity.token ?? 'none'}>
      <Page
        masthead={
          <Header
            signedIn={authMode !== 'none' && identity.token !== undefined}
            onSignOut={identity.signOut}
          />
        }
        sidebar={<Sidebar path={path} />}
        skipToContent={<SkipToContent href={`#${MAIN_ID}`}>Skip to content</SkipToContent>}
        mainContainerId={MAIN_ID}
        banner={<AnonymousBanner />}
      >
        {content}
      </Page>
    </LiveProvider>
  );
}
