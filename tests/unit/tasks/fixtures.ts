/** Task documents shared by the task-engine tests. */

/** The seed document of docs/task-language.md as first specified (it calls a `payments` tool it does not define). */
export const SEED_TASK = `tools:
  - name: weather
    type: api_call
    api_call: { method: GET, url: "http://api.example.com/v1/weather" }
  - name: search
    type: api_call
    api_call:
      method: GET
      url: "http://api.example.com/search"
      headers: { Authorization: "$ f\\"Bearer {secrets.SEARCH_API_KEY}\\"" }
      params: { q: "{{ inputs.query }}" }
steps:                                    # or main:, see above
  - kind: tool_call                       # one secret: secret_name, sent as Authorization: Bearer
    tool: weather
    secret_name: weather_api_key
    arguments: { city: Paris }
  - kind: tool_call                       # several: alias -> secret name, used as secrets.alias
    tool: payments
    secrets: { api_key: stripe_api_key, account: stripe_account_id }
  - kind: prompt                          # LLM key picked from the developer's secrets
    model: gpt-4o
    prompt: "Summarize {{ steps[0].output }}"
    template_variables:
      api_url: "$ f'https://api.example.com/v1?key={secrets.api_key}'"
`;

const PAYMENTS_TOOL = `  - name: payments
    type: api_call
    api_call:
      method: POST
      url: "http://api.example.com/payments"
      headers: { Authorization: "$ f'Bearer {secrets.api_key}'", Stripe-Account: "$ secrets.account" }
      json: { amount: 100 }
`;

/** The seed with the `payments` tool defined, so it validates. */
export const SEED_TASK_COMPLETE = SEED_TASK.replace('steps:', `${PAYMENTS_TOOL}steps:`);

/** The same task in Julep's runtime shape: main: with key-shaped steps. */
export const JULEP_TASK = `name: same task, julep shape
tools:
  - name: weather
    type: api_call
    api_call: { method: GET, url: "http://api.example.com/v1/weather" }
  - name: search
    type: api_call
    api_call:
      method: GET
      url: "http://api.example.com/search"
      headers:
        Authorization: $ f"Bearer {secrets.SEARCH_API_KEY}"
      params:
        q: "{{ inputs.query }}"
${PAYMENTS_TOOL}main:
  - tool: weather
    secret_name: weather_api_key
    arguments:
      city: Paris
  - tool: payments
    secrets:
      api_key: stripe_api_key
      account: stripe_account_id
  - prompt: "Summarize {{ steps[0].output }}"
    model: gpt-4o
    template_variables:
      api_url: "$ f'https://api.example.com/v1?key={secrets.api_key}'"
`;

/** 1-based line and column of the first occurrence of `needle` (after `after`, if given). */
export function locate(text: string, needle: string, after = ''): { line: number; column: number } {
  const start = after === '' ? 0 : text.indexOf(after);
  const offset = text.indexOf(needle, start);
  if (start < 0 || offset < 0) throw new Error(`${needle} not found`);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

const POSITION_KEYS = new Set(['site', 'keySite', 'toolSite', 'modelSite']);

/** The model without document positions, shape marker and task name, for comparing shapes. */
export function comparable(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, comparable(v)]));
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  const isTask = 'steps' in value && 'tools' in value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (POSITION_KEYS.has(k) || (isTask && (k === 'shape' || k === 'name'))) continue;
    out[k] = comparable(v);
  }
  return out;
}
