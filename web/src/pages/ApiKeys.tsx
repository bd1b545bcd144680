import { type FormEvent, useState } from 'react';
import { useQuery } from 'urql';
import { payloadOf, useBanners, useRequest } from '../api';
import { Banner, ConfirmButton, CopyButton, Field, PageHeading, Spinner } from '../components/ui';
import { formFieldOf, problemFromCombined } from '../errors';
import { formatTime, isPast, localInputToIso } from '../format';
import { ConsoleApiKeysDocument, ConsoleCreateApiKeyDocument, ConsoleRevokeApiKeyDocument } from '../gql/graphql';

export const SCOPES: ReadonlyArray<{ scope: string; label: string }> = [
  { scope: 'secrets:read', label: 'secrets:read: names, metadata, history' },
  { scope: 'secrets:reveal', label: 'secrets:reveal: values (audited)' },
  { scope: 'secrets:write', label: 'secrets:write: create, update, delete' },
  { scope: 'tasks:run', label: 'tasks:run: validate and run tasks' },
  { scope: 'audit:read', label: 'audit:read: the audit log' },
  { scope: 'keys:manage', label: 'keys:manage: API keys and data-key rotation' },
];

export function ApiKeysPage(props: { token: string }) {
  const [result, reexecute] = useQuery({ query: ConsoleApiKeysDocument, variables: {} });
  const request = useRequest();
  const banners = useBanners();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['secrets:read']);
  const [expiresAt, setExpiresAt] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [issued, setIssued] = useState<{ name: string; token: string } | null>(null);
  const [status, setStatus] = useState('');
  const problem = result.error ? problemFromCombined(result.error) : undefined;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    if (scopes.length === 0) {
      setErrors({ scopes: 'Pick at least one scope.' });
      return;
    }
    const outcome = await request('mutation', ConsoleCreateApiKeyDocument, { input: { name, scopes, expiresAt: localInputToIso(expiresAt) } });
    if (!outcome.data) return;
    const created = payloadOf(outcome.data.createApiKey, 'CreateApiKeyPayload', banners);
    if (created.problem) {
      if (created.problem.kind === 'validation') setErrors({ [formFieldOf(created.problem.field)]: created.problem.message });
      return;
    }
    setIssued({ name: created.data.apiKey.apiKey.name, token: created.data.apiKey.token });
    setName('');
    setExpiresAt('');
    reexecute({ requestPolicy: 'network-only' });
  };

  const revoke = async (id: string, keyName: string) => {
    const outcome = await request('mutation', ConsoleRevokeApiKeyDocument, { input: { id } });
    if (!outcome.data) return;
    const revoked = payloadOf(outcome.data.revokeApiKey, 'RevokeApiKeyPayload', banners);
    if (revoked.problem) return;
    setStatus(`Revoked ${keyName}.`);
    reexecute({ requestPolicy: 'network-only' });
  };

  const keys = result.data?.me.apiKeys ?? [];
  return (
    <section aria-labelledby="page-title">
      <PageHeading>
        <span id="page-title">API keys</span>
      </PageHeading>
      {issued ? (
        <div className="card token-once" role="region" aria-labelledby="issued-title">
          <h2 id="issued-title">Key “{issued.name}” created</h2>
          <p>
            <strong>Copy the token now: it is shown this once.</strong> Only a hash is stored, so it cannot be shown again.
          </p>
          <Field label="New token">
            {({ id }) => <input id={id} className="mono" readOnly value={issued.token} onFocus={(e) => e.currentTarget.select()} />}
          </Field>
          <div className="form-actions">
            <CopyButton label="Copy token" getText={() => issued.token} />
            <button type="button" className="button-secondary" onClick={() => setIssued(null)}>
              I have copied it
            </button>
          </div>
        </div>
      ) : null}

      <form className="form card" onSubmit={create} noValidate aria-labelledby="create-key-title">
        <h2 id="create-key-title">Create a key</h2>
        <Field label="Name" error={errors.name} hint="What uses the key, e.g. ci-deploy.">
          {({ id, describedBy, invalid }) => (
            <input id={id} name="name" value={name} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          )}
        </Field>
        <fieldset className={`group scopes${errors.scopes ? ' field-invalid' : ''}`}>
          <legend>Scopes</legend>
          <p className="hint">A key can only grant scopes the key you signed in with holds.</p>
          {SCOPES.map(({ scope, label }) => (
            <div className="field checkbox" key={scope}>
              <input
                id={`scope-${scope}`}
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => setScopes((s) => (e.target.checked ? [...s, scope] : s.filter((x) => x !== scope)))}
              />
              <label htmlFor={`scope-${scope}`}>{label}</label>
            </div>
          ))}
          {errors.scopes ? (
            <p className="field-error" role="alert">
              {errors.scopes}
            </p>
          ) : null}
        </fieldset>
        <Field label="Expires at (optional, your local time)" error={errors.expiresAt} hint="No later than the key you signed in with.">
          {({ id, describedBy, invalid }) => (
            <input id={id} type="datetime-local" value={expiresAt} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setExpiresAt(e.target.value)} />
          )}
        </Field>
        <div className="form-actions">
          <button type="submit" className="button-primary">
            Create key
          </button>
        </div>
      </form>

      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <p role="status" className="form-status">
          {status}
        </p>
        {problem && problem.kind !== 'unauthenticated' ? <Banner problem={problem} /> : null}
        {result.fetching && !result.data ? <Spinner /> : null}
        {keys.length ? (
          <table className="list keys-list">
            <caption className="visually-hidden">API keys, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => {
                const mine = props.token.startsWith(key.prefix);
                const state = key.revokedAt ? 'revoked' : isPast(key.expiresAt) ? 'expired' : 'active';
                return (
                  <tr key={key.id} data-key-name={key.name}>
                    <td data-label="Name">
                      {key.name} {mine ? <span className="badge badge-ok">this session</span> : null}
                    </td>
                    <td data-label="Prefix" className="mono">
                      {key.prefix}…
                    </td>
                    <td data-label="Scopes">{key.scopes.join(', ')}</td>
                    <td data-label="Created">{formatTime(key.createdAt)}</td>
                    <td data-label="Expires">{key.expiresAt ? formatTime(key.expiresAt) : 'never'}</td>
                    <td data-label="Last used">{formatTime(key.lastUsedAt)}</td>
                    <td data-label="Status">
                      {state === 'active' ? (
                        <ConfirmButton
                          danger
                          label="Revoke"
                          confirmLabel={`Revoke ${key.name}`}
                          question={mine ? 'Revoke the key this session uses? You will be signed out.' : `Revoke ${key.name}? Callers using it are refused at once.`}
                          onConfirm={() => revoke(key.id, key.name)}
                        />
                      ) : (
                        <span className="badge badge-bad">
                          {state} {key.revokedAt ? formatTime(key.revokedAt) : ''}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
    </section>
  );
}
