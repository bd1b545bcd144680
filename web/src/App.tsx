import { useCallback, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { BannerContext, type BannerApi } from './api';
import { type ConsoleSettings, createConsoleClient, keyProviderReachable, loadSettings } from './client';
import { Banner } from './components/ui';
import type { Problem } from './errors';
import { ApiKeysPage } from './pages/ApiKeys';
import { AuditPage } from './pages/Audit';
import { SecretDetailPage } from './pages/SecretDetail';
import { CreateSecretPage } from './pages/SecretForm';
import { SecretsPage } from './pages/Secrets';
import { SignIn } from './pages/SignIn';
import { forgetTaskDraft, TasksPage } from './pages/Tasks';
import { href, type Route, useRoute } from './router';
import { clearStoredSession, loadSession, type Session, saveSession } from './session';

export function App() {
  const [settings, setSettings] = useState<ConsoleSettings | null>(null);
  const [session, setSession] = useState<Session | null>(() => loadSession());
  // Each sign-in gets a fresh console (state, client); a counter, so the token is not a React key.
  const [generation, setGeneration] = useState(0);
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);

  useEffect(() => {
    void loadSettings().then(setSettings);
  }, []);

  const signOut = useCallback((reason: string | null) => {
    clearStoredSession();
    forgetTaskDraft();
    setSession(null);
    setSignedOutReason(reason);
  }, []);

  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setSignedOutReason(null);
    setGeneration((g) => g + 1);
    setSession(next);
  }, []);

  if (!session) {
    return <SignIn settings={settings} reason={signedOutReason} onSignedIn={signIn} />;
  }
  return <Console key={generation} session={session} onSignOut={signOut} />;
}

function Console(props: { session: Session; onSignOut: (reason: string | null) => void }) {
  const { session, onSignOut } = props;
  const client = useMemo(
    () =>
      createConsoleClient({
        token: session.token,
        onUnauthenticated: () => onSignOut('Your session ended: the key is expired or was revoked. Sign in again.'),
      }),
    [session.token, onSignOut],
  );
  const route = useRoute();
  const [banners, setBanners] = useState<Problem[]>([]);
  const bannerApi = useMemo<BannerApi>(
    () => ({
      report: (problem) =>
        setBanners((current) => (current.some((b) => b.kind === problem.kind && b.message === problem.message) ? current : [...current, problem])),
      clear: () => setBanners([]),
    }),
    [],
  );

  // A new page starts with no stale banners.
  useEffect(() => bannerApi.clear(), [route, bannerApi]);

  // Checked on every page change (a cheap GET of /readyz), so an outage shows before anything fails.
  useEffect(() => {
    void keyProviderReachable().then((ok) => {
      if (!ok) {
        bannerApi.report({
          kind: 'outage',
          message: 'The key service is unreachable, so values cannot be encrypted or decrypted right now. Names and metadata still work.',
        });
      }
    });
  }, [route, bannerApi]);

  return (
    <Provider value={client}>
      <BannerContext.Provider value={bannerApi}>
        <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
          Skip to content
        </a>
        <header className="top">
          <a className="brand" href={href({ page: 'secrets' })}>
            locksmith
          </a>
          <nav aria-label="Main">
            <ul>
              <NavLink route={{ page: 'secrets' }} current={route} label="Secrets" />
              <NavLink route={{ page: 'deleted' }} current={route} label="Deleted" />
              <NavLink route={{ page: 'api-keys' }} current={route} label="API keys" />
              <NavLink route={{ page: 'audit' }} current={route} label="Audit log" />
              <NavLink route={{ page: 'tasks' }} current={route} label="Tasks" />
            </ul>
          </nav>
          <button type="button" className="button-quiet sign-out" onClick={() => onSignOut(null)}>
            Sign out
          </button>
        </header>
        <main id="main" tabIndex={-1}>
          <div className="banners">
            {banners.map((problem, i) => (
              <Banner key={`${problem.kind}-${i}`} problem={problem} onDismiss={() => setBanners((b) => b.filter((x) => x !== problem))} />
            ))}
          </div>
          <Page route={route} session={session} />
        </main>
      </BannerContext.Provider>
    </Provider>
  );
}

function NavLink(props: { route: Route; current: Route; label: string }) {
  const active =
    props.current.page === props.route.page ||
    (props.route.page === 'secrets' && (props.current.page === 'secret' || props.current.page === 'new-secret'));
  return (
    <li>
      <a href={href(props.route)} aria-current={active ? 'page' : undefined}>
        {props.label}
      </a>
    </li>
  );
}

function Page(props: { route: Route; session: Session }) {
  const { route } = props;
  switch (route.page) {
    case 'secrets':
      return <SecretsPage key="live" deleted={false} />;
    case 'deleted':
      return <SecretsPage key="deleted" deleted />;
    case 'new-secret':
      return <CreateSecretPage />;
    case 'secret':
      return <SecretDetailPage key={route.name} name={route.name} />;
    case 'api-keys':
      return <ApiKeysPage token={props.session.token} />;
    case 'audit':
      return <AuditPage key={route.secretName ?? ''} secretName={route.secretName} />;
    case 'tasks':
      return <TasksPage />;
  }
}
