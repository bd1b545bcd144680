/** What the benchmark sends: GraphQL documents and the autocannon request lists built from them. */
import type { Request } from 'autocannon';

export const TENANTS = 8;
export const SECRETS_PER_TENANT = 64;
export const seedName = (i: number) => `seed_${String(i % SECRETS_PER_TENANT).padStart(3, '0')}`;
/** Request entries per connection: each connection walks this many different names in turn. */
const ROTATION = 8;

export const REVEAL = 'query Reveal($name: String!) { secret(name: $name) { value } }';
export const METADATA = 'query Metadata($name: String!) { secret(name: $name) { name version metadata updatedAt } }';
export const LIST = 'query List { secrets(first: 20, filter: { metadata: { env: "prod" } }) { edges { node { name version metadata } } } }';
export const CREATE = 'mutation Create($name: String!) { createSecret(input: { name: $name, value: "created-by-the-benchmark", metadata: { env: "bench" } }) { __typename } }';
export const UPDATE = 'mutation Update($name: String!) { updateSecret(input: { name: $name, value: "updated-by-the-benchmark" }) { __typename } }';
export const RUN_TASK = 'mutation Run($task: JSON!) { runTask(input: { task: $task }) { __typename ... on RunTaskPayload { run { status } } } }';
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
    requests: ({ tokens }) => Array.from({ length: ROTATION }, (_, i) => post(tokens[0]!, body(REVEAL, { name: seedName(i) }))),
  },
  {
    name: 'metadata',
    label: 'metadata read',
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) => Array.from({ length: ROTATION }, (_, i) => post(tokens[0]!, body(METADATA, { name: seedName(i) }))),
  },
  {
    name: 'list',
    label: 'list 20 by metadata',
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) => [post(tokens[0]!, body(LIST))],
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
        setupRequest: (req: Request) => ({ ...req, body: body(CREATE, { name: `new_${process.pid}_${(created++).toString(36)}` }) }),
      })),
  },
  {
    name: 'update',
    label: `update value (${TENANTS} tenants)`,
    target: 'locksmith',
    failure: GRAPHQL_FAILURE,
    requests: ({ tokens }) =>
      Array.from({ length: ROTATION }, (_, i) => post(tokens[i % tokens.length]!, body(UPDATE, { name: seedName(i * 7) }))),
  },
  {
    name: 'runTask',
    label: 'runTask, one loopback tool call',
    target: 'locksmith',
    failure: /"errors"|Error"|FAILED/,
    requests: ({ tokens, toolUrl }) => [post(tokens[0]!, body(RUN_TASK, { task: toolTask(toolUrl) }))],
  },
];
