import fc from 'fast-check';
import { runTask, type RunTaskDeps } from '../../../src/tasks';
import { startFakeHttp, type FakeHttp } from '../../support/fake-http';

/**
 * An upstream that echoes the credential back, at any offset of its body and in any of the
 * encodings it might use (raw, JSON-escaped with \/ and \uXXXX, base64 wrapped across lines,
 * a PEM key with its newlines turned into \n or \r\n): neither the step error (the body is cut
 * to an excerpt) nor the run's log lines may carry it, for tool calls and model calls alike.
 */

let fake: FakeHttp;
beforeAll(async () => {
  fake = await startFakeHttp();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const SECRETS: Record<string, string> = {
  api: 'sk/äpfel-Zq7Wx9Vb3Nm5Kl1Jh8',
  pem: '-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8\nAgEAAkEAq7BFUpkGp3XQjLqabNs9Yt2Wq5Rz\n-----END PRIVATE KEY-----',
};

type Encoding = (v: string) => string;
const ENCODINGS: Record<string, Encoding> = {
  raw: (v) => v,
  json: (v) => JSON.stringify(v).slice(1, -1),
  jsonSlashes: (v) => JSON.stringify(v).slice(1, -1).replace(/\//g, '\\/'),
  jsonUnicode: (v) => JSON.stringify(v).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  jsonAllEscaped: (v) => [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join(''),
  crlf: (v) => v.replace(/\n/g, '\r\n'),
  base64Wrapped: (v) => Buffer.from(v).toString('base64').replace(/.{1,19}/g, (line) => `${line}\n`),
  urlEncoded: (v) => encodeURIComponent(v),
};

/** Pieces that would give a value away: any 12 characters of it, or of its base64. */
function pieces(value: string): string[] {
  const out: string[] = [];
  for (const form of [value, Buffer.from(value).toString('base64')]) {
    const compact = form.replace(/\s+/g, '');
    for (let i = 0; i + 12 <= compact.length; i += 4) out.push(compact.slice(i, i + 12));
  }
  return out;
}

function deps(logs: string[]): RunTaskDeps {
  const log = (fields: Record<string, unknown>, message: string) => logs.push(`${message} ${JSON.stringify(fields)}`);
  return {
    secrets: {
      exists: async (names) => new Set(names.filter((n) => n in SECRETS)),
      reveal: async (names) => new Map(names.filter((n) => n in SECRETS).map((n) => [n, SECRETS[n]!])),
    },
    fetch: globalThis.fetch,
    llm: { baseUrls: { openai: `${fake.url}/v1` } },
    logger: { info: log, warn: log, debug: log },
  };
}

const FILLER = 'The upstream was unhappy with the request it received; here are some details. '.repeat(20);

describe('redaction of upstream echoes', () => {
  it('finds the credential at any offset and in any encoding of a non-2xx body (tool and model calls)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(SECRETS)),
        fc.constantFrom(...Object.keys(ENCODINGS)),
        fc.integer({ min: 0, max: FILLER.length }),
        fc.constantFrom('tool', 'model'),
        fc.boolean(),
        async (name, encoding, offset, via, asJson) => {
          const echoed = FILLER.slice(0, offset) + ENCODINGS[encoding]!(SECRETS[name]!) + FILLER.slice(offset);
          const body = asJson ? { error: { message: echoed } } : echoed;
          fake.on('POST', '/v1/chat/completions', { status: 401, body });
          fake.on('GET', '/fail', { status: 500, body });
          const logs: string[] = [];
          const doc =
            via === 'tool'
              ? { tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${fake.url}/fail` } }], main: [{ tool: 't', secret_name: name }] }
              : { main: [{ prompt: 'hi', model: 'gpt-4o', secret_name: name }] };
          const result = await runTask(doc, {}, deps(logs));
          expect(result.status).toBe('FAILED');
          const seen = JSON.stringify(result) + logs.join('\n');
          for (const piece of pieces(SECRETS[name]!)) {
            if (seen.includes(piece)) throw new Error(`${encoding} at ${offset} via ${via}: found ${JSON.stringify(piece)} in ${seen.slice(0, 400)}`);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('redacts an echo inside a successful JSON response, whatever its escaping', async () => {
    for (const [encoding, encode] of Object.entries(ENCODINGS)) {
      fake.on('GET', '/ok', { status: 200, headers: { 'content-type': 'text/plain' }, body: `{"note": "${FILLER.slice(0, 77)}${encode(SECRETS.api!)}"}` });
      const logs: string[] = [];
      const result = await runTask({ tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${fake.url}/ok` } }], main: [{ tool: 't', secret_name: 'api' }] }, {}, deps(logs));
      const seen = JSON.stringify(result) + logs.join('\n');
      for (const piece of pieces(SECRETS.api!)) expect({ encoding, leaked: seen.includes(piece) }).toEqual({ encoding, leaked: false });
    }
  });
});
