import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type ConsoleSettings, createConsoleClient } from '../client';
import { Banner, Field } from '../components/ui';
import { problemFromCombined } from '../errors';
import { ConsoleMeDocument } from '../gql/graphql';
import type { Session, TokenKind } from '../session';

/** Sign-in with an API key, or a JWT when the server trusts an issuer. The token is checked with `me`. */
export function SignIn(props: { settings: ConsoleSettings | null; reason: string | null; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [kind, setKind] = useState<TokenKind>('apiKey');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const jwtIssuer = props.settings?.jwtIssuer ?? null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (!trimmed) {
      setError(kind === 'apiKey' ? 'Paste an API key (it starts with lsk_).' : 'Paste a token from your identity provider.');
      return;
    }
    if (kind === 'apiKey' && !trimmed.startsWith('lsk_')) {
      setError('An API key starts with lsk_. (The admin token only manages developers and cannot use the console.)');
      return;
    }
    setBusy(true);
    setError(undefined);
    const probe = createConsoleClient({ token: trimmed, onUnauthenticated: () => undefined });
    const result = await probe.query(ConsoleMeDocument, {}).toPromise();
    setBusy(false);
    if (result.data?.me) {
      setToken('');
      props.onSignedIn({ token: trimmed, kind, remember });
      return;
    }
    const problem = result.error ? problemFromCombined(result.error) : undefined;
    setError(
      problem?.kind === 'unauthenticated'
        ? 'That token was not accepted: it is unknown, expired or revoked.'
        : problem?.kind === 'forbidden'
          ? 'That token is not a developer key (the admin token cannot use the console).'
          : (problem?.message ?? 'Sign-in failed.'),
    );
  };

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} noValidate aria-labelledby="sign-in-title">
        <h1 id="sign-in-title" ref={headingRef} tabIndex={-1}>
          Sign in to locksmith
        </h1>
        {props.reason ? <Banner problem={{ kind: 'info', message: props.reason }} /> : null}
        {jwtIssuer ? (
          <fieldset className="token-kind">
            <legend>Sign in with</legend>
            <label>
              <input type="radio" name="kind" value="apiKey" checked={kind === 'apiKey'} onChange={() => setKind('apiKey')} /> An API key
            </label>
            <label>
              <input type="radio" name="kind" value="jwt" checked={kind === 'jwt'} onChange={() => setKind('jwt')} /> A token from {jwtIssuer}
            </label>
          </fieldset>
        ) : null}
        <Field
          label={kind === 'apiKey' ? 'API key' : 'Bearer token (JWT)'}
          error={error}
          hint={
            kind === 'apiKey'
              ? props.settings?.development
                ? (<>In development, <code>npm start</code> prints the developer API key (lsk_…) when it starts.</>)
                : (<>A key with the scopes you need, e.g. from <code>locksmith api-keys create</code>.</>)
              : `A JWT issued by ${jwtIssuer ?? 'the configured issuer'} with a locksmith developer claim.`
          }
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={token}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        <div className="field checkbox">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <label htmlFor="remember">Stay signed in in this tab (kept in session storage until the tab closes)</label>
        </div>
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">The token is kept in this tab's memory only, never in local storage or a cookie.</p>
      </form>
    </main>
  );
}
