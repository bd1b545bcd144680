import { createClient, LocksmithError, type FetchLike } from '../../../src';
import { resolveEndpoint } from '../../../src/client/transport';

/** Transport behaviour that needs no server: HTTP and network failures become typed errors. */

const respond =
  (status: number, body: string, headers: Record<string, string> = {}): FetchLike =>
  async () => ({ status, headers: new Headers(headers), text: async () => body });

async function failure(fetch: FetchLike, token = 'lsk_secret_token_value'): Promise<LocksmithError> {
  const error = await createClient({ url: 'http://server.test', token, fetch })
    .me()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(LocksmithError);
  expect((error as Error).message).not.toContain(token);
  return error as LocksmithError;
}

describe('client transport', () => {
  it('sends the hash of a codegen document with a bearer token to <url>/graphql', async () => {
    const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const client = createClient({
      url: 'https://user:pw@server.test',
      token: 'lsk_abc',
      fetch: async (url, init) => {
        calls.push({ url, headers: init.headers, body: init.body });
        return { status: 200, headers: new Headers(), text: async () => JSON.stringify({ data: { me: { id: '1', name: 'n', createdAt: 'x' } } }) };
      },
    });
    expect(await client.me()).toEqual({ id: '1', name: 'n', createdAt: 'x' });
    expect(calls[0]!.url).toBe('https://user:pw@server.test/graphql');
    expect(calls[0]!.headers.authorization).toBe('Bearer lsk_abc');
    const sent = JSON.parse(calls[0]!.body);
    expect(sent).toMatchObject({ variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } } });
    expect(sent.query).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('sends the text when the server does not know the hash (another build) or predates persisted operations', async () => {
    for (const refusal of [
      { errors: [{ message: 'PersistedQueryNotFound: send the query text', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] },
      { errors: [{ message: 'Must provide query string.' }] },
    ]) {
      const bodies: string[] = [];
      const client = createClient({
        url: 'http://server.test',
        fetch: async (_url, init) => {
          bodies.push(init.body);
          const answer = bodies.length === 1 ? refusal : { data: { me: { id: '1', name: 'n', createdAt: 'x' } } };
          return { status: bodies.length === 1 ? 400 : 200, headers: new Headers(), text: async () => JSON.stringify(answer) };
        },
      });
      expect(await client.me()).toEqual({ id: '1', name: 'n', createdAt: 'x' });
      expect(bodies).toHaveLength(2);
      expect(JSON.parse(bodies[1]!)).toMatchObject({ query: expect.stringContaining('query Me'), variables: {} });
    }
  });

  it('keeps an explicit endpoint path and rejects non-HTTP URLs', () => {
    expect(resolveEndpoint('http://h:4000')).toBe('http://h:4000/graphql');
    expect(resolveEndpoint('http://h/custom/graphql')).toBe('http://h/custom/graphql');
    expect(() => resolveEndpoint('ftp://h')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => resolveEndpoint('not a url')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('maps 401 to UNAUTHENTICATED whatever the body', async () => {
    expect(await failure(respond(401, 'nope'))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });

  it('maps top-level errors to extensions.code, keeping field and request id', async () => {
    const body = JSON.stringify({ data: null, errors: [{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' } }] });
    expect(await failure(respond(200, body))).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1', message: 'Unexpected error' });
    const validation = JSON.stringify({ errors: [{ message: 'bad', extensions: { code: 'VALIDATION_FAILED', field: 'first' } }] });
    expect(await failure(respond(200, validation))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'first' });
  });

  it('reports unreachable servers, timeouts and non-GraphQL answers', async () => {
    const refused: FetchLike = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    };
    expect(await failure(refused)).toMatchObject({ code: 'UNAVAILABLE', message: 'cannot reach http://server.test/graphql: ECONNREFUSED' });
    const slow: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const timedOut = await createClient({ url: 'http://server.test', fetch: slow, timeoutMs: 20 }).me().catch((e: LocksmithError) => e);
    expect(timedOut).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('no answer within 20 ms') });
    expect(await failure(respond(502, '<html>Bad gateway</html>', { 'x-request-id': 'r2' }))).toMatchObject({ code: 'UNAVAILABLE', status: 502, requestId: 'r2' });
    expect(await failure(respond(404, 'Not found'))).toMatchObject({ code: 'BAD_RESPONSE', status: 404 });
  });

  it('turns a union error member into a LocksmithError', async () => {
    const member = { __typename: 'VersionConflictError', code: 'VERSION_CONFLICT', message: 'expected 1, current 2', expectedVersion: 1, currentVersion: 2 };
    const client = createClient({ url: 'http://server.test', fetch: respond(200, JSON.stringify({ data: { updateSecret: member } })) });
    await expect(client.secrets.update({ name: 'a', value: 'b', expectedVersion: 1 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      expectedVersion: 1,
      currentVersion: 2,
      typename: 'VersionConflictError',
    });
  });
});

describe('client options', () => {
  it('refuses a token that cannot be a bearer token, without quoting it', () => {
    expect(() => createClient({ url: 'http://h', token: 'lsk_a b\nc' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    let message = '';
    try {
      createClient({ url: 'http://h', token: 'lsk_pароль' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cannot contain/);
    expect(message).not.toContain('lsk_');
  });
});
