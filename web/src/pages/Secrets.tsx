import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { useBanners, useRequest } from '../api';
import { payloadOf } from '../api';
import { Banner, ConfirmButton, Field, PageHeading, Spinner } from '../components/ui';
import { problemFromCombined } from '../errors';
import { formatMetadataValue, formatTime, isPast, type MetadataValue, metadataEntries, parseMetadataValue } from '../format';
import { ConsoleRestoreSecretDocument, ConsoleSecretsDocument, type SecretFilter } from '../gql/graphql';
import { href, navigate } from '../router';

const PAGE_SIZE = 20;

interface Chip {
  readonly key: string;
  readonly value: MetadataValue;
}

/** The secrets list (or the deleted ones): name-prefix search, metadata chips, Relay paging. */
export function SecretsPage(props: { deleted: boolean }) {
  const banners = useBanners();
  const request = useRequest();
  const [search, setSearch] = useState('');
  const [prefix, setPrefix] = useState('');
  const [chips, setChips] = useState<Chip[]>([]);
  const [chipText, setChipText] = useState('');
  const [chipError, setChipError] = useState<string | undefined>();
  const [dueOnly, setDueOnly] = useState(false);
  // Cursors of the pages before this one (Relay forward paging; "Previous" pops).
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [status, setStatus] = useState('');
  const after = cursors[cursors.length - 1] ?? null;

  // A search is applied shortly after typing stops, and the list starts again at page one.
  useEffect(() => {
    const timer = window.setTimeout(() => setPrefix(search.trim()), 250);
    return () => window.clearTimeout(timer);
  }, [search]);
  useEffect(() => setCursors([null]), [prefix, chips, dueOnly]);

  const filter = useMemo<SecretFilter>(() => {
    const f: SecretFilter = {};
    if (props.deleted) f.deleted = true;
    if (prefix) f.namePrefix = prefix;
    if (chips.length) f.metadata = Object.fromEntries(chips.map((c) => [c.key, c.value]));
    if (dueOnly && !props.deleted) f.dueForRotation = true;
    return f;
  }, [props.deleted, prefix, chips, dueOnly]);

  const [result, reexecute] = useQuery({ query: ConsoleSecretsDocument, variables: { first: PAGE_SIZE, after, filter } });
  const problem = result.error ? problemFromCombined(result.error) : undefined;

  const addChip = (event: FormEvent) => {
    event.preventDefault();
    const match = /^\s*([^=]+?)\s*=(.*)$/.exec(chipText);
    if (!match) {
      setChipError('Write key=value, e.g. env=prod (numbers and true/false match by type; quote "1" for text).');
      return;
    }
    const key = match[1]!;
    setChips((current) => [...current.filter((c) => c.key !== key), { key, value: parseMetadataValue(match[2]!) }]);
    setChipText('');
    setChipError(undefined);
  };

  const restore = async (name: string, version: number) => {
    const outcome = await request('mutation', ConsoleRestoreSecretDocument, { input: { name, expectedVersion: version } });
    if (!outcome.data) return;
    const restored = payloadOf(outcome.data.restoreSecret, 'RestoreSecretPayload', banners);
    if (restored.problem) {
      if (!['outage', 'forbidden'].includes(restored.problem.kind)) banners.report({ kind: 'unexpected', message: restored.problem.message });
      return;
    }
    setStatus(`Restored ${name}.`);
    reexecute({ requestPolicy: 'network-only' });
  };

  const edges = result.data?.secrets.edges ?? [];
  const pageInfo = result.data?.secrets.pageInfo;

  return (
    <section aria-labelledby="page-title">
      <PageHeading
        actions={
          props.deleted ? null : (
            <a className="button button-primary" href={href({ page: 'new-secret' })}>
              New secret
            </a>
          )
        }
      >
        <span id="page-title">{props.deleted ? 'Deleted secrets' : 'Secrets'}</span>
      </PageHeading>
      {props.deleted ? (
        <p className="lead">Deleted secrets stay restorable until their recovery window ends; then they are erased for good.</p>
      ) : null}

      <div className="filters" role="search" aria-label="Filter secrets">
        <Field label="Name starts with">
          {({ id }) => <input id={id} type="search" value={search} onChange={(e) => setSearch(e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <form className="chip-form" onSubmit={addChip} noValidate>
          <Field label="Metadata filter (key=value)" error={chipError}>
            {({ id, describedBy, invalid }) => (
              <input
                id={id}
                value={chipText}
                placeholder="env=prod"
                aria-describedby={describedBy}
                aria-invalid={invalid}
                onChange={(e) => setChipText(e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
          <button type="submit" className="button-secondary">
            Add filter
          </button>
        </form>
        {!props.deleted ? (
          <div className="field checkbox">
            <input id="due-only" type="checkbox" checked={dueOnly} onChange={(e) => setDueOnly(e.target.checked)} />
            <label htmlFor="due-only">Only due for rotation or expired</label>
          </div>
        ) : null}
      </div>
      {chips.length ? (
        <ul className="chips" aria-label="Active metadata filters">
          {chips.map((chip) => (
            <li key={chip.key} className="chip">
              <span>
                {chip.key} = {formatMetadataValue(chip.value)}
              </span>
              <button
                type="button"
                aria-label={`Remove filter ${chip.key}`}
                onClick={() => setChips((current) => current.filter((c) => c.key !== chip.key))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}

      <p className="sr-status" role="status">
        {status}
      </p>
      {problem && problem.kind !== 'unauthenticated' ? <Banner problem={problem} /> : null}
      {result.fetching && !result.data ? <Spinner /> : null}
      {result.data && edges.length === 0 ? (
        <p className="empty">{prefix || chips.length || dueOnly ? 'No secret matches these filters.' : props.deleted ? 'No deleted secrets.' : 'No secrets yet.'}</p>
      ) : null}
      {edges.length > 0 ? (
        <table className="list secrets-list">
          <caption className="visually-hidden">{props.deleted ? 'Deleted secrets' : 'Secrets'}, ordered by name</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Metadata</th>
              <th scope="col">Version</th>
              <th scope="col">{props.deleted ? 'Erased after' : 'Updated'}</th>
              {props.deleted ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {edges.map(({ node }) => (
              <tr key={node.id}>
                <td data-label="Name">
                  {props.deleted ? (
                    <span className="mono">{node.name}</span>
                  ) : (
                    <a className="mono" href={href({ page: 'secret', name: node.name })}>
                      {node.name}
                    </a>
                  )}{' '}
                  {isPast(node.expiresAt) ? <span className="badge badge-bad">expired</span> : null}
                  {!isPast(node.expiresAt) && isPast(node.rotationDueAt) ? <span className="badge badge-warn">rotation due</span> : null}
                </td>
                <td data-label="Description">{node.description ?? ''}</td>
                <td data-label="Metadata">
                  <MetadataBadges metadata={node.metadata} />
                </td>
                <td data-label="Version">{node.version}</td>
                <td data-label={props.deleted ? 'Erased after' : 'Updated'}>{formatTime(props.deleted ? node.purgeAt : node.updatedAt)}</td>
                {props.deleted ? (
                  <td data-label="Action">
                    <ConfirmButton
                      label="Restore"
                      confirmLabel={`Restore ${node.name}`}
                      question={`Restore ${node.name}?`}
                      onConfirm={() => restore(node.name, node.version)}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {pageInfo && (cursors.length > 1 || pageInfo.hasNextPage) ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="button-secondary" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous page
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            className="button-secondary"
            disabled={!pageInfo.hasNextPage || !pageInfo.endCursor}
            onClick={() => setCursors((c) => [...c, pageInfo.endCursor ?? null])}
          >
            Next page
          </button>
        </nav>
      ) : null}
      {!props.deleted && result.data ? (
        <p className="hint">
          <a href={href({ page: 'deleted' })}>Deleted secrets</a> can be restored during their recovery window.
        </p>
      ) : null}
    </section>
  );
}

export function MetadataBadges(props: { metadata: unknown }) {
  const entries = metadataEntries(props.metadata);
  if (!entries.length) return null;
  return (
    <ul className="meta-list">
      {entries.map(([key, value]) => (
        <li key={key} className="meta">
          {key}={formatMetadataValue(value)}
        </li>
      ))}
    </ul>
  );
}

export const goToSecret = (name: string) => navigate({ page: 'secret', name });
