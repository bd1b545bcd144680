import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { payloadOf, useBanners, useRequest } from '../api';
import { MetadataEditor, metadataFromRows, type MetadataRow, rowsFromMetadata } from '../components/MetadataEditor';
import { RevealValue } from '../components/RevealValue';
import { Banner, ConfirmButton, Field, PageHeading, Spinner } from '../components/ui';
import { formFieldOf, type Problem, problemFromCombined } from '../errors';
import { formatTime, isoToLocalInput, isPast, localInputToIso } from '../format';
import {
  ConsoleDeleteSecretDocument,
  ConsoleDestroyVersionDocument,
  ConsoleRollbackSecretDocument,
  ConsoleSecretDocument,
  ConsoleUpdateSecretDocument,
  type ConsoleSecretQuery,
  type UpdateSecretInput,
} from '../gql/graphql';
import { href, navigate } from '../router';
import { AllowedHostsField, type FieldErrors, FormErrorSummary, hostsFromText, RotationFields, ValueInput } from './SecretForm';
import { MetadataBadges } from './Secrets';

type SecretData = NonNullable<ConsoleSecretQuery['secret']>;

interface Conflict {
  readonly expectedVersion?: number | undefined;
  readonly currentVersion?: number | undefined;
  readonly action: string;
}

export function SecretDetailPage(props: { name: string }) {
  // Cursors of the version pages before this one (newest first, 20 a page).
  const [versionCursors, setVersionCursors] = useState<Array<string | null>>([null]);
  const versionsAfter = versionCursors[versionCursors.length - 1] ?? null;
  const [result, reexecute] = useQuery({ query: ConsoleSecretDocument, variables: { name: props.name, versionsAfter } });
  const [conflict, setConflict] = useState<Conflict | null>(null);
  // Bumped on reload so the edit form starts again from the server's state.
  const [formGeneration, setFormGeneration] = useState(0);
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  const reload = () => {
    refresh();
    setFormGeneration((g) => g + 1);
  };
  const problem = result.error ? problemFromCombined(result.error) : undefined;
  const secret = result.data?.secret;

  return (
    <section aria-labelledby="page-title">
      <PageHeading
        actions={
          <a className="button button-quiet" href={href({ page: 'audit', secretName: props.name })}>
            Audit events
          </a>
        }
      >
        <span id="page-title" className="mono">
          {props.name}
        </span>
      </PageHeading>
      <p>
        <a href={href({ page: 'secrets' })}>← All secrets</a>
      </p>
      {problem && problem.kind !== 'unauthenticated' ? <Banner problem={problem} /> : null}
      {result.fetching && !result.data ? <Spinner /> : null}
      {result.data && !secret ? (
        <Banner problem={{ kind: 'not-found', message: `No live secret named ${props.name}. It may have been deleted (see Deleted).` }} />
      ) : null}
      {secret ? (
        <>
          {isPast(secret.expiresAt) ? (
            <Banner
              problem={{
                kind: 'expired',
                message: `This secret expired at ${formatTime(secret.expiresAt)}: its value is no longer served. Set a new value and a new expiry (or clear it) below.`,
              }}
            />
          ) : isPast(secret.rotationDueAt) ? (
            <Banner problem={{ kind: 'info', message: `Rotation was due at ${formatTime(secret.rotationDueAt)}: set a new value.` }} />
          ) : null}
          <Summary secret={secret} onRevealed={refresh} />
          <EditSecret
            key={`${secret.name}-${formGeneration}`}
            secret={secret}
            onSaved={refresh}
            onConflict={setConflict}
          />
          <Versions
            secret={secret}
            onChanged={refresh}
            onConflict={setConflict}
            page={versionCursors.length}
            onOlder={() => setVersionCursors((c) => [...c, secret.versions.pageInfo.endCursor ?? null])}
            onNewer={() => setVersionCursors((c) => c.slice(0, -1))}
          />
          <DeleteSecret secret={secret} onConflict={setConflict} />
        </>
      ) : null}
      {conflict ? (
        <ConflictDialog
          conflict={conflict}
          onReload={() => {
            setConflict(null);
            reload();
          }}
          onClose={() => setConflict(null)}
        />
      ) : null}
    </section>
  );
}

function Summary(props: { secret: SecretData; onRevealed: () => void }) {
  const { secret } = props;
  return (
    <section className="card" aria-labelledby="summary-title">
      <h2 id="summary-title">Value</h2>
      <RevealValue name={secret.name} label={`Value of ${secret.name}`} onRevealed={props.onRevealed} />
      <p className="hint" id="reveal-audited">
        Every reveal and copy is recorded in the audit log. A revealed value hides again after 30 seconds.
      </p>
      <dl className="facts">
        <dt>Description</dt>
        <dd>{secret.description ?? '—'}</dd>
        <dt>Metadata</dt>
        <dd>
          <MetadataBadges metadata={secret.metadata} />
        </dd>
        <dt>Current version</dt>
        <dd data-testid="current-version">{secret.version}</dd>
        <dt>Value changed</dt>
        <dd>{formatTime(secret.valueChangedAt)}</dd>
        <dt>Rotation</dt>
        <dd>{secret.rotateEveryDays ? `every ${secret.rotateEveryDays} days (due ${formatTime(secret.rotationDueAt)})` : 'no reminder'}</dd>
        <dt>Expires</dt>
        <dd>{secret.expiresAt ? formatTime(secret.expiresAt) : 'never'}</dd>
        <dt>Allowed hosts</dt>
        <dd className="mono">{secret.allowedHosts?.length ? secret.allowedHosts.join(', ') : 'any host the server policy allows'}</dd>
        <dt>Last revealed</dt>
        <dd>{formatTime(secret.lastRevealedAt)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(secret.createdAt)}</dd>
      </dl>
    </section>
  );
}

function EditSecret(props: { secret: SecretData; onSaved: () => void; onConflict: (c: Conflict) => void }) {
  const { secret } = props;
  const request = useRequest();
  const banners = useBanners();
  const [description, setDescription] = useState(secret.description ?? '');
  const [metadata, setMetadata] = useState<MetadataRow[]>(() => rowsFromMetadata(secret.metadata));
  const [rotateEveryDays, setRotateEveryDays] = useState(secret.rotateEveryDays ? String(secret.rotateEveryDays) : '');
  const [expiresAt, setExpiresAt] = useState(isoToLocalInput(secret.expiresAt));
  const [allowedHosts, setAllowedHosts] = useState((secret.allowedHosts ?? []).join('\n'));
  const [value, setValue] = useState('');
  const [multiline, setMultiline] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  // A status belongs to the version it describes; it goes once the secret moves on.
  const [status, setStatusText] = useState<{ text: string; version: number } | null>(null);
  const setStatus = (text: string, version = secret.version) => setStatusText(text ? { text, version } : null);
  const [busy, setBusy] = useState(false);
  // Check-and-set: the version this form was loaded from.
  const loadedVersion = secret.version;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setStatus('');
    const input: UpdateSecretInput = { name: secret.name, expectedVersion: loadedVersion };
    if (value !== '') input.value = value;
    if (description !== (secret.description ?? '')) input.description = description === '' ? null : description;
    const nextMetadata = metadataFromRows(metadata);
    if (JSON.stringify(nextMetadata) !== JSON.stringify(secret.metadata ?? {})) input.metadata = nextMetadata;
    const nextRotate = rotateEveryDays === '' ? null : Number(rotateEveryDays);
    if (nextRotate !== (secret.rotateEveryDays ?? null)) input.rotateEveryDays = nextRotate;
    const nextExpiry = localInputToIso(expiresAt);
    if (expiresAt !== isoToLocalInput(secret.expiresAt)) input.expiresAt = nextExpiry;
    const nextHosts = hostsFromText(allowedHosts);
    if (nextHosts.join('\n') !== (secret.allowedHosts ?? []).join('\n')) input.allowedHosts = nextHosts;
    if (Object.keys(input).length === 2) {
      setStatus('Nothing changed.');
      return;
    }
    setBusy(true);
    const outcome = await request('mutation', ConsoleUpdateSecretDocument, { input });
    setBusy(false);
    if (!outcome.data) return;
    const updated = payloadOf(outcome.data.updateSecret, 'UpdateSecretPayload', banners);
    if (updated.problem) {
      handleWriteProblem(updated.problem, 'Save', setErrors, props.onConflict);
      return;
    }
    setValue('');
    setStatus(`Saved. The secret is at version ${updated.data.secret.version}.`, updated.data.secret.version);
    props.onSaved();
  };

  return (
    <section className="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <form className="form" onSubmit={submit} noValidate>
        <FormErrorSummary errors={errors} />
        <Field label="New value" error={errors.value} hint="Leave empty to keep the current value. A new value becomes a new version.">
          {({ id, describedBy, invalid }) => (
            <ValueInput id={id} value={value} onChange={setValue} describedBy={describedBy} invalid={invalid} multiline={multiline} />
          )}
        </Field>
        <div className="field checkbox">
          <input id="edit-multiline" type="checkbox" checked={multiline} onChange={(e) => setMultiline(e.target.checked)} />
          <label htmlFor="edit-multiline">Multi-line value (shown as you type)</label>
        </div>
        <Field label="Description" error={errors.description}>
          {({ id, describedBy, invalid }) => (
            <input id={id} name="description" value={description} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setDescription(e.target.value)} />
          )}
        </Field>
        <MetadataEditor rows={metadata} onChange={setMetadata} error={errors.metadata} />
        <RotationFields rotateEveryDays={rotateEveryDays} onRotateEveryDays={setRotateEveryDays} expiresAt={expiresAt} onExpiresAt={setExpiresAt} errors={errors} />
        <AllowedHostsField value={allowedHosts} onChange={setAllowedHosts} error={errors.allowedHosts} />
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <span role="status" className="form-status">
            {status && status.version === secret.version ? status.text : ''}
          </span>
        </div>
        <p className="hint">Saving checks that the secret is still at version {loadedVersion}, so nobody's change is overwritten unseen.</p>
      </form>
    </section>
  );
}

function handleWriteProblem(problem: Problem, action: string, setErrors: (e: FieldErrors) => void, onConflict: (c: Conflict) => void) {
  if (problem.kind === 'conflict') onConflict({ expectedVersion: problem.expectedVersion, currentVersion: problem.currentVersion, action });
  else if (problem.kind === 'validation' || problem.kind === 'name-taken') setErrors({ [formFieldOf(problem.field)]: problem.message });
}

function Versions(props: {
  secret: SecretData;
  onChanged: () => void;
  onConflict: (c: Conflict) => void;
  page: number;
  onOlder: () => void;
  onNewer: () => void;
}) {
  const { secret } = props;
  const request = useRequest();
  const banners = useBanners();
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');

  const rollback = async (version: number) => {
    setError('');
    const outcome = await request('mutation', ConsoleRollbackSecretDocument, { input: { name: secret.name, version, expectedVersion: secret.version } });
    if (!outcome.data) return;
    const done = payloadOf(outcome.data.rollbackSecret, 'RollbackSecretPayload', banners);
    if (done.problem) {
      if (done.problem.kind === 'conflict') props.onConflict({ ...done.problem, action: 'Roll back' });
      else if (done.problem.kind === 'validation') setError(done.problem.message);
      return;
    }
    setStatus(`Rolled back: version ${done.data.secret.version} now has the value of version ${version}.`);
    props.onChanged();
  };

  const destroy = async (version: number) => {
    setError('');
    const outcome = await request('mutation', ConsoleDestroyVersionDocument, { input: { name: secret.name, version, expectedVersion: secret.version } });
    if (!outcome.data) return;
    const done = payloadOf(outcome.data.destroySecretVersion, 'DestroySecretVersionPayload', banners);
    if (done.problem) {
      if (done.problem.kind === 'conflict') props.onConflict({ ...done.problem, action: 'Destroy' });
      else if (done.problem.kind === 'validation') setError(done.problem.message);
      return;
    }
    setStatus(`Version ${version} destroyed.`);
    props.onChanged();
  };

  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <p role="status" className="form-status">
        {status}
      </p>
      {error ? <p className="field-error" role="alert">{error}</p> : null}
      <table className="list versions-list">
        <caption className="visually-hidden">Versions of {secret.name}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
            <th scope="col">By</th>
            <th scope="col">Value</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {secret.versions.edges.map(({ node }) => {
            const current = node.version === secret.version;
            return (
              <tr key={node.version} data-version={node.version}>
                <td data-label="Version">
                  v{node.version} {current ? <span className="badge badge-ok">current</span> : null}
                  {node.destroyed ? <span className="badge badge-bad">destroyed</span> : null}
                </td>
                <td data-label="Created">{formatTime(node.createdAt)}</td>
                <td data-label="By" className="mono">
                  {node.createdBy ?? '—'}
                </td>
                <td data-label="Value">
                  {node.destroyed ? (
                    <span className="hint">erased {formatTime(node.destroyedAt)}</span>
                  ) : current ? (
                    <span className="hint">shown above</span>
                  ) : (
                    <RevealValue name={secret.name} version={node.version} label={`Value of version ${node.version}`} />
                  )}
                </td>
                <td data-label="Actions">
                  {!current && !node.destroyed ? (
                    <div className="actions">
                      <ConfirmButton
                        label={`Roll back to v${node.version}`}
                        confirmLabel={`Make v${node.version}'s value current`}
                        question={`Roll back ${secret.name} to the value of v${node.version}? It becomes a new version.`}
                        onConfirm={() => rollback(node.version)}
                      />
                      <ConfirmButton
                        danger
                        label={`Destroy v${node.version}`}
                        confirmLabel={`Destroy v${node.version} for good`}
                        question={`Erase the value of v${node.version}? This cannot be undone.`}
                        onConfirm={() => destroy(node.version)}
                      />
                    </div>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {props.page > 1 || secret.versions.pageInfo.hasNextPage ? (
        <nav className="pager" aria-label="Version pages">
          <button type="button" className="button-secondary" disabled={props.page <= 1} onClick={props.onNewer}>
            Newer versions
          </button>
          <span>Page {props.page}</span>
          <button type="button" className="button-secondary" disabled={!secret.versions.pageInfo.hasNextPage} onClick={props.onOlder}>
            Older versions
          </button>
        </nav>
      ) : null}
    </section>
  );
}

function DeleteSecret(props: { secret: SecretData; onConflict: (c: Conflict) => void }) {
  const { secret } = props;
  const request = useRequest();
  const banners = useBanners();
  const [days, setDays] = useState('7');
  const [force, setForce] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const remove = async () => {
    setError(undefined);
    const input = force
      ? { name: secret.name, force: true, expectedVersion: secret.version }
      : { name: secret.name, recoveryWindowDays: days === '' ? null : Number(days), expectedVersion: secret.version };
    const outcome = await request('mutation', ConsoleDeleteSecretDocument, { input });
    if (!outcome.data) return;
    const done = payloadOf(outcome.data.deleteSecret, 'DeleteSecretPayload', banners);
    if (done.problem) {
      if (done.problem.kind === 'conflict') props.onConflict({ ...done.problem, action: 'Delete' });
      else if (done.problem.kind === 'validation') setError(done.problem.message);
      return;
    }
    navigate(force ? { page: 'secrets' } : { page: 'deleted' });
  };

  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      <Field label="Recovery window (days)" error={error} hint="The secret can be restored from Deleted until the window ends (0-30).">
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            type="number"
            min={0}
            max={30}
            inputMode="numeric"
            value={days}
            disabled={force}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => setDays(e.target.value)}
          />
        )}
      </Field>
      <div className="field checkbox">
        <input id="force-delete" type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
        <label htmlFor="force-delete">Erase at once, with no recovery window</label>
      </div>
      <ConfirmButton
        danger
        label="Delete secret"
        confirmLabel={force ? `Erase ${secret.name} now` : `Delete ${secret.name}`}
        question={force ? `Erase ${secret.name} and every version for good?` : `Delete ${secret.name}? It stays restorable for ${days || 7} days.`}
        onConfirm={remove}
      />
    </section>
  );
}

/** Check-and-set failed: say what happened and offer to reload (native modal dialog: focus stays inside). */
function ConflictDialog(props: { conflict: Conflict; onReload: () => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const { expectedVersion, currentVersion, action } = props.conflict;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="conflict-title" aria-describedby="conflict-text" onCancel={props.onClose}>
      <h2 id="conflict-title">This secret changed while you were editing</h2>
      <p id="conflict-text">
        {action} was not applied. You were working from version {expectedVersion ?? '?'}, but someone else has since moved it to version{' '}
        {currentVersion ?? '?'}. Nothing of yours was saved, and nothing of theirs was overwritten.
      </p>
      <p>Reload to see the latest state, then make your change again.</p>
      <div className="form-actions">
        <button type="button" className="button-primary" onClick={props.onReload}>
          Reload latest version
        </button>
        <button type="button" className="button-quiet" onClick={props.onClose}>
          Keep my edits for now
        </button>
      </div>
    </dialog>
  );
}
