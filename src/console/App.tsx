// The console's shell: sign-in with an API key (kept in sessionStorage for this tab), the header
// with the caller's role and sign-out, and the page for the address.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiProblem, clientFor, forgetKey, messageOf, storedKey, storeKey } from './api.js';
import { CALLBACK_PATH, finishSignOn, oidcConfig, startSignOn, type OidcConfig } from './oidc.js';
import { NewPipelinePage } from './NewPipelinePage.js';
import { PipelinePage } from './PipelinePage.js';
import { PipelinesPage } from './PipelinesPage.js';
import { Link, navigate, useLocation, type Location } from './router.js';
import { RunPage } from './RunPage.js';
import { RunsPage } from './RunsPage.js';
import { checkKey, SessionContext, type Session } from './session.js';

function SignIn({ notice, onSignedIn, oidc }: { notice: string | null; onSignedIn(s: Awaited<ReturnType<typeof checkKey>>): void; oidc: OidcConfig | null | undefined }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      onSignedIn(await checkKey(key.trim()));
    } catch (err) {
      setProblem(
        err instanceof ApiProblem && err.status === 401
          ? `This key was not accepted: ${err.message}`
          : err instanceof ApiProblem && err.status === 403
            ? `This key may not use the console: ${err.message}`
            : `Could not sign in: ${messageOf(err)}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Sluice console</h1>
      {notice && (
        <p className="note" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-label="sign in">
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" spellCheck={false} required value={key} onChange={(e) => setKey(e.target.value)} placeholder="sk_..." autoFocus />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {oidc && (
        <p>
          <button type="button" className="secondary" onClick={() => void startSignOn(oidc, location.pathname === CALLBACK_PATH ? '/' : location.pathname + location.search).catch((err: unknown) => setProblem(`Could not start single sign-on: ${messageOf(err)}`))}>
            Sign in with single sign-on
          </button>{' '}
          <span className="muted small">({new URL(oidc.issuer).host})</span>
        </p>
      )}
      <p className="muted small">
        A key from <code>sluice keys create</code>, or the one <code>npm run demo</code> and <code>sluice dev</code> print. It stays in this tab only (sessionStorage) and is sent
        to this API alone.
      </p>
    </main>
  );
}

function Page({ loc }: { loc: Location }) {
  const parts = loc.path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return <PipelinesPage />;
  if (parts[0] === 'pipelines' && parts.length === 1) return <PipelinesPage />;
  // Not under /pipelines/: `new` is a valid pipeline name.
  if (parts[0] === 'new' && parts.length === 1) return <NewPipelinePage />;
  if (parts[0] === 'pipelines' && parts.length === 2) return <PipelinePage key={parts[1]} name={parts[1]!} />;
  if (parts[0] === 'runs' && parts.length === 1) return <RunsPage loc={loc} />;
  if (parts[0] === 'runs' && parts.length === 2) return <RunPage key={parts[1]} runId={parts[1]!} />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        The console has no page at <code>{loc.path}</code>. <Link href="/">Go to the pipelines</Link>.
      </p>
    </>
  );
}

export function App() {
  const loc = useLocation();
  const [session, setSession] = useState<Omit<Session, 'signOut'> | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((why?: string) => {
    forgetKey();
    setSession(null);
    setNotice(why ?? 'Signed out.');
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    checkKey(key)
      .then(setSession, (err: unknown) => {
        forgetKey();
        setNotice(`Signed out: ${messageOf(err)}`);
      })
      .finally(() => setChecking(false));
  }, []);

  // Single sign-on, when the API offers it; and the page the issuer sends the person back to.
  const [oidc, setOidc] = useState<OidcConfig | null | undefined>(undefined);
  useEffect(() => {
    oidcConfig(clientFor('')).then(setOidc, () => setOidc(null));
  }, []);
  const returning = loc.path === CALLBACK_PATH;
  useEffect(() => {
    if (!returning) return;
    finishSignOn(clientFor(''), loc.query)
      .then(async ({ token, returnTo }) => {
        const s = await checkKey(token);
        storeKey(token);
        setNotice(null);
        setSession(s);
        navigate(returnTo, { replace: true });
      })
      .catch((err: unknown) => {
        setNotice(`Single sign-on failed: ${messageOf(err)}`);
        navigate('/', { replace: true });
      });
    // Once per return from the issuer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [returning]);

  const value = useMemo<Session | null>(() => (session ? { ...session, signOut } : null), [session, signOut]);
  if (returning) return <p className="muted">Signing you in…</p>;
  if (checking) return <p className="muted">Checking your key…</p>;
  if (!value)
    return (
      <SignIn
        oidc={oidc}
        notice={notice}
        onSignedIn={(s) => {
          storeKey(s.key);
          setNotice(null);
          setSession(s);
        }}
      />
    );
  const here = (prefix: string) => (loc.path === prefix || loc.path.startsWith(`${prefix}/`) || (prefix === '/pipelines' && loc.path === '/') ? 'page' : undefined);
  return (
    <SessionContext.Provider value={value}>
      <header className="top">
        <Link href="/" className="brand">
          Sluice
        </Link>
        <nav aria-label="main">
          <Link href="/pipelines" aria-current={here('/pipelines')}>
            Pipelines
          </Link>
          <Link href="/runs" aria-current={here('/runs')}>
            Runs
          </Link>
        </nav>
        <span className="who" title={value.me.pipelines ? `pipelines: ${value.me.pipelines.join(', ')}` : 'every pipeline'}>
          {value.me.name ?? value.me.kind} · <strong>{value.me.role}</strong>
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Page loc={loc} />
      </main>
    </SessionContext.Provider>
  );
}
