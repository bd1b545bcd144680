import { type FormEvent, useState } from 'react';
import { useQuery } from 'urql';
import { Banner, Field, PageHeading, Spinner } from '../components/ui';
import { problemFromCombined } from '../errors';
import { formatTime, localInputToIso } from '../format';
import { type AuditFilter, ConsoleAuditEventsDocument, ConsoleVerifyAuditLogDocument } from '../gql/graphql';
import { href } from '../router';

export const AUDIT_ACTIONS = [
  'secret.create',
  'secret.update',
  'secret.reveal',
  'secret.delete',
  'secret.restore',
  'secret.rollback',
  'secret.destroy_version',
  'secret.purge',
  'apikey.create',
  'apikey.revoke',
  'task.secret_use',
  'task.secret_denied',
  'auth.denied',
  'datakey.rotate',
  'datakey.prune',
];

const PAGE_SIZE = 50;

export function AuditPage(props: { secretName?: string | undefined }) {
  const [action, setAction] = useState('');
  const [secretName, setSecretName] = useState(props.secretName ?? '');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [filter, setFilter] = useState<AuditFilter>(() => (props.secretName ? { secretName: props.secretName } : {}));
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const [result] = useQuery({ query: ConsoleAuditEventsDocument, variables: { first: PAGE_SIZE, after, filter } });
  const [verification, reverify] = useQuery({ query: ConsoleVerifyAuditLogDocument, variables: {} });
  const problem = result.error ? problemFromCombined(result.error) : undefined;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next: AuditFilter = {};
    if (action) next.actions = [action];
    if (secretName.trim()) next.secretName = secretName.trim();
    const s = localInputToIso(since);
    const u = localInputToIso(until);
    if (s) next.since = s;
    if (u) next.until = u;
    setFilter(next);
    setCursors([null]);
  };

  const v = verification.data?.verifyAuditLog;
  const edges = result.data?.auditEvents.edges ?? [];
  const pageInfo = result.data?.auditEvents.pageInfo;

  return (
    <section aria-labelledby="page-title">
      <PageHeading>
        <span id="page-title">Audit log</span>
      </PageHeading>
      <div className="card chain-status" aria-live="polite">
        <h2>Hash chain</h2>
        {verification.fetching ? <Spinner label="Verifying the chain…" /> : null}
        {v ? (
          v.ok ? (
            <p className="chain-ok" data-chain="ok">
              <span className="badge badge-ok">verified</span> All {v.checkedEvents} events are intact and in order.
            </p>
          ) : (
            <p className="chain-bad" data-chain="broken" role="alert">
              <span className="badge badge-bad">broken</span> The chain breaks at event #{v.firstBrokenSeq}: {v.reason}. Records were edited, removed or
              reordered.
            </p>
          )
        ) : null}
        {verification.error ? <Banner problem={problemFromCombined(verification.error)} /> : null}
        <button type="button" className="button-secondary" onClick={() => reverify({ requestPolicy: 'network-only' })}>
          Verify again
        </button>
      </div>

      <form className="filters" onSubmit={apply} role="search" aria-label="Filter audit events">
        <Field label="Action">
          {({ id }) => (
            <select id={id} value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">Any action</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Secret name">
          {({ id }) => <input id={id} className="mono" value={secretName} onChange={(e) => setSecretName(e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="From">
          {({ id }) => <input id={id} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />}
        </Field>
        <Field label="Until">
          {({ id }) => <input id={id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}
        </Field>
        <button type="submit" className="button-primary">
          Apply filters
        </button>
      </form>

      {problem && problem.kind !== 'unauthenticated' ? <Banner problem={problem} /> : null}
      {result.fetching && !result.data ? <Spinner /> : null}
      {result.data && edges.length === 0 ? <p className="empty">No events match.</p> : null}
      {edges.length ? (
        <table className="list audit-list">
          <caption className="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Secret</th>
              <th scope="col">Version</th>
              <th scope="col">Actor</th>
              <th scope="col">Request id</th>
            </tr>
          </thead>
          <tbody>
            {edges.map(({ node }) => (
              <tr key={node.id} data-action={node.action}>
                <td data-label="#">{node.seq}</td>
                <td data-label="When">{formatTime(node.at)}</td>
                <td data-label="Action" className="mono">
                  {node.action}
                </td>
                <td data-label="Secret" className="mono">
                  {node.secretName ? <a href={href({ page: 'secret', name: node.secretName })}>{node.secretName}</a> : '—'}
                </td>
                <td data-label="Version">{node.version ?? '—'}</td>
                <td data-label="Actor" className="mono">
                  {node.actor ?? '—'}
                </td>
                <td data-label="Request id" className="mono small">
                  {node.requestId ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {pageInfo && (cursors.length > 1 || pageInfo.hasNextPage) ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="button-secondary" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            className="button-secondary"
            disabled={!pageInfo.hasNextPage}
            onClick={() => setCursors((c) => [...c, pageInfo.endCursor ?? null])}
          >
            Older
          </button>
        </nav>
      ) : null}
    </section>
  );
}
