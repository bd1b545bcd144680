/**
 * What the benchmark sends: the autocannon request lists. Locksmith's scenarios send what the
 * typed client and the CLI send: the hash of one of their persisted operations
 * (src/client/generated/persisted-documents.json) and its variables. Those documents select
 * every field the client shows (a reveal reads fourteen fields beside the value), so they ask
 * more of the server than the ceilings' one-field query does. The ceilings, which know no
 * persisted operations, get the query text.
 */
import type { Request } from 'autocannon';
import documents from '../src/client/generated/persisted-documents.json';

export const TENANTS = 8;
export const SECRETS_PER_TENANT = 64;
export const seedName = (i: number) => `seed_${String(i % SECRETS_PER_TENANT).padStart(3, '0')}`;
/** Request entries per connection: each connection walks this many different names in turn. */
const ROTATION = 8;

/** The ceilings' document: one point select and one AES-GCM open. */
export const REVEAL = 'query Reveal($name: String!) { secret(name: $name) { value } }';
/** The scale mode's filtered list (bench/scale.ts). */
export const LIST = 'query List { secrets(first: 20, filter: { metadata: { env: "prod" } }) { edges { node { name version metadata } } } }';
export const TOOL_SECRET = 'tool_api_key';

export function toolTask(toolUrl: string): string {
  return [
    'tools:',
    '  - name: echo',
    '    type: api_call',
    `    api_call: { method: GET, url: "${toolUrl}/echo" }`,
    'steps:',
    '  - kind: tool_call',
    '    tool: echo',
    `    secret_name: ${TOOL_SECRET}`,
    '    arguments: { q: bench }',
  ].join('\n');
}

export interface Scenario {
  readonly name: string;
  readonly label: string;
  /** Which server answers: locksmith, or one of the ceilings. */
  readonly target: 'locksmith' | 'raw' | 'yoga';
  /** A 200 whose body matches this is a failure too (GraphQL errors, union error members). */
  readonly failure?: RegExp;
  requests(ctx: { tokens: string[]; toolUrl: string }): Request[];
}

const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

/** The client's request for its operation `name`: the manifest hash and the variables. */
function persisted(name: string, variables: Record<string, unknown>): string {
  const hash = Object.entries(documents as Record<string, string>).find(([, text]) => new RegExp(`(query|mutation) ${name}\\b`).test(text))?.[0];
  if (!hash) throw new Error(`the client has no persisted operation ${name}`);
  return JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
}
const post = (token: string | null, payload: string): Request => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: payload,
});

const GRAPHQL_FAILURE = /"errors"|Error"/;
let created = 0;

export const SCENARIOS: Scenario[] = [
  {
    name: 'ceiling-raw',
    label: 'ceiling: node:http + driver + AES-GCM',
    target: 'raw',
    requests: () => Array.from({ length: ROTATION }, (_, i) => post(null, body(REVEAL, { name: seedName(i) }))),
  },
  {
    name: 'ceiling-yoga',
    label: 'ceiling: bare graphql-yoga, same work',
    target: 'yoga',
    failure: GRAPHQL_FAILURE,
    requests: () => Array.from({ length: ROTATION }, (_, i) => post(null, body(REVEAL, { name: seedName(i) }))),
  },
  {
    name: 'reveal',
    label: 'reveal (audited)',
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) => Array.from({ length: ROTATION }, (_, i) => post(tokens[0]!, persisted('RevealSecret', { name: seedName(i) }))),
  },
  {
    name: 'metadata',
    label: 'metadata read',
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) => Array.from({ length: ROTATION }, (_, i) => post(tokens[0]!, persisted('GetSecret', { name: seedName(i) }))),
  },
  {
    name: 'list',
    label: 'list 20 by metadata',
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) => [post(tokens[0]!, persisted('ListSecrets', { first: 20, filter: { metadata: { env: 'prod' } } }))],
  },
  {
    name: 'create',
    label: `create (${TENANTS} tenants)`,
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) =>
      tokens.map((token) => ({
        ...post(token, ''),
        // A fresh name per request, so every create really inserts.
        setupRequest: (req: Request) => ({
          ...req,
          body: persisted('CreateSecret', { input: { name: `new_${process.pid}_${(created++).toString(36)}`, value: 'created-by-the-benchmark', metadata: { env: 'bench' } } }),
        }),
      })),
  },
  {
    name: 'update',
    label: `update value (${TENANTS} tenants)`,
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) =>
      Array.from({ length: ROTATION }, (_, i) => post(tokens[i % tokens.length]!, persisted('UpdateSecret', { input: { name: seedName(i * 7), value: 'updated-by-the-benchmark' } }))),
  },
  {
    name: 'runTask',
    label: 'runTask, one loopback tool call',
    target: 'locksmith',
    failure: /"errors"|Error"|FAILED/,
    requests: ({ tokens, toolUrl }) => [post(tokens[0]!, persisted('RunTask', { input: { task: toolTask(toolUrl) } }))],
  },
];
