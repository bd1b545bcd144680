import { type FormEvent, useState } from 'react';
import { payloadOf, useBanners, useRequest } from '../api';
import { Field, PageHeading } from '../components/ui';
import { MetadataEditor, metadataFromRows, type MetadataRow } from '../components/MetadataEditor';
import { formFieldOf } from '../errors';
import { localInputToIso } from '../format';
import { ConsoleCreateSecretDocument } from '../gql/graphql';
import { href, navigate } from '../router';

export type FieldErrors = Record<string, string>;

/** A secret value input: one line (masked) by default, or a textarea for certificates and JSON. */
export function ValueInput(props: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  describedBy: string | undefined;
  invalid: boolean;
  multiline: boolean;
  placeholder?: string;
}) {
  const common = {
    id: props.id,
    name: 'value',
    value: props.value,
    'aria-describedby': props.describedBy,
    'aria-invalid': props.invalid,
    autoComplete: 'off',
    spellCheck: false,
    placeholder: props.placeholder,
  } as const;
  return props.multiline ? (
    <textarea {...common} rows={5} className="mono" onChange={(e) => props.onChange(e.target.value)} />
  ) : (
    <input {...common} type="password" className="mono" onChange={(e) => props.onChange(e.target.value)} />
  );
}

export function CreateSecretPage() {
  const request = useRequest();
  const banners = useBanners();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [multiline, setMultiline] = useState(false);
  const [description, setDescription] = useState('');
  const [metadata, setMetadata] = useState<MetadataRow[]>([]);
  const [rotateEveryDays, setRotateEveryDays] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [allowedHosts, setAllowedHosts] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    const outcome = await request('mutation', ConsoleCreateSecretDocument, {
      input: {
        name,
        value,
        description: description === '' ? null : description,
        metadata: metadataFromRows(metadata),
        rotateEveryDays: rotateEveryDays === '' ? null : Number(rotateEveryDays),
        expiresAt: localInputToIso(expiresAt),
        allowedHosts: hostsFromText(allowedHosts),
      },
    });
    setBusy(false);
    if (!outcome.data) return;
    const created = payloadOf(outcome.data.createSecret, 'CreateSecretPayload', banners);
    if (created.problem) {
      if (created.problem.field) setErrors({ [formFieldOf(created.problem.field)]: created.problem.message });
      return;
    }
    setValue('');
    navigate({ page: 'secret', name: created.data.secret.name });
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeading>
        <span id="page-title">New secret</span>
      </PageHeading>
      <form className="form" onSubmit={submit} noValidate>
        <FormErrorSummary errors={errors} />
        <Field label="Name" error={errors.name} hint="Letters, digits and underscores, starting with a letter (e.g. openai_api_key).">
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="name"
              className="mono"
              value={name}
              required
              aria-describedby={describedBy}
              aria-invalid={invalid}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label="Value" error={errors.value} hint="Encrypted on the server; never shown again unless someone with secrets:reveal reveals it.">
          {({ id, describedBy, invalid }) => (
            <ValueInput id={id} value={value} onChange={setValue} describedBy={describedBy} invalid={invalid} multiline={multiline} />
          )}
        </Field>
        <div className="field checkbox">
          <input id="multiline" type="checkbox" checked={multiline} onChange={(e) => setMultiline(e.target.checked)} />
          <label htmlFor="multiline">Multi-line value (shown as you type)</label>
        </div>
        <Field label="Description" error={errors.description}>
          {({ id, describedBy, invalid }) => (
            <input id={id} name="description" value={description} aria-describedby={describedBy} aria-invalid={invalid} onChange={(e) => setDescription(e.target.value)} />
          )}
        </Field>
        <MetadataEditor rows={metadata} onChange={setMetadata} error={errors.metadata} />
        <RotationFields
          rotateEveryDays={rotateEveryDays}
          onRotateEveryDays={setRotateEveryDays}
          expiresAt={expiresAt}
          onExpiresAt={setExpiresAt}
          errors={errors}
        />
        <AllowedHostsField value={allowedHosts} onChange={setAllowedHosts} error={errors.allowedHosts} />
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create secret'}
          </button>
          <a className="button button-quiet" href={href({ page: 'secrets' })}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}

export function RotationFields(props: {
  rotateEveryDays: string;
  onRotateEveryDays: (v: string) => void;
  expiresAt: string;
  onExpiresAt: (v: string) => void;
  errors: FieldErrors;
}) {
  return (
    <fieldset className="group">
      <legend>Rotation and expiry</legend>
      <Field label="Rotate every (days)" error={props.errors.rotateEveryDays} hint="A reminder: the secret is listed as due this many days after its value last changed. Empty: no reminder.">
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="rotateEveryDays"
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            value={props.rotateEveryDays}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => props.onRotateEveryDays(e.target.value)}
          />
        )}
      </Field>
      <Field label="Expires at (your local time)" error={props.errors.expiresAt} hint="After this the value is no longer served. Empty: never expires.">
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="expiresAt"
            type="datetime-local"
            value={props.expiresAt}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => props.onExpiresAt(e.target.value)}
          />
        )}
      </Field>
    </fieldset>
  );
}

/** Text (one host per line, or comma-separated) <-> the API's list. */
export function hostsFromText(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter(Boolean);
}

/** The hosts a task may send this secret to; the server's error for the list shows below it. */
export function AllowedHostsField(props: { value: string; onChange: (v: string) => void; error?: string | undefined }) {
  return (
    <Field
      label="Allowed hosts"
      error={props.error}
      hint="One host per line (*.example.com for any name below it). A task may send this secret, or anything computed from it, only to these hosts. Empty: any host the server policy allows."
    >
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          name="allowedHosts"
          className="mono"
          rows={3}
          spellCheck={false}
          value={props.value}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** Errors a field does not own (e.g. "input") are listed at the top of the form. */
export function FormErrorSummary(props: { errors: FieldErrors }) {
  const general = Object.entries(props.errors).filter(([field]) => !['name', 'value', 'description', 'metadata', 'rotateEveryDays', 'expiresAt', 'allowedHosts'].includes(field));
  if (!general.length) return null;
  return (
    <div className="banner banner-unexpected" role="alert">
      {general.map(([field, message]) => (
        <p key={field}>{message}</p>
      ))}
    </div>
  );
}
