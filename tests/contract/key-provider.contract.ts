/**
 * The one contract every KeyProvider must honour, whoever wrote it. Each provider's test file
 * calls `defineKeyProviderContract` with a harness that builds the provider through
 * loadKeyProvider (as the service does) against its loopback fake.
 *
 * What is checked, and why it matters to the core:
 * - round trips (generate, wrap of existing bytes, migration between providers);
 * - the encryption context is cryptographically bound (a wrapped key copied onto another
 *   developer or data-key row does not open) and tampering is detected;
 * - root-key rotation: new keys use the new root, old ones still open, isCurrent/rewrap work;
 * - remote providers: transient failures are retried, outages surface as PROVIDER_UNAVAILABLE
 *   within a bounded time, checkHealth fails while unreachable, recovery is automatic;
 * - no key material, token or secret access key ever appears in an error or a log line.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type EncryptionContext, type KeyProvider, KeyProviderError, type KeyProviderLogger } from '../../src/crypto/key-provider';
import { LocalKeyProvider } from '../../plugins/key-provider-local';

export interface RemoteControls {
  /** Stops the fake (connections refused) / starts it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Next `count` requests fail with a 5xx. */
  failNext(count: number): void;
  /** Next `count` requests are throttled (KMS ThrottlingException, Vault 429). */
  throttleNext(count: number): void;
  setLatency(ms: number): void;
  clearFaults(): void;
  /** Requests the fake has received so far. */
  requestCount(): number;
  /** Attempts per call the provider was configured with (first attempt included). */
  readonly maxAttempts: number;
  /** Per-attempt timeout the provider was configured with. */
  readonly timeoutMs: number;
}

export interface ContractHarness {
  /** Builds a provider from the backend's current state, as a starting process would. */
  create(): Promise<KeyProvider>;
  /**
   * Makes a new root key (version) the newest for new writes. Returns the provider to use from
   * then on: the same instance when the provider follows by itself, a new one when a restart is
   * the documented procedure.
   */
  rotate(current: KeyProvider): Promise<KeyProvider>;
  /** Values that must never appear in an error or a log line (tokens, secret keys, master keys). */
  secrets(): string[];
  /** Lines the provider logged through options.logger (see captureLogger). */
  readonly logs: readonly string[];
  /** Outage controls; absent for in-process providers. */
  readonly remote?: RemoteControls;
  teardown(): Promise<void>;
}

export interface ContractOptions {
  /** The provider's `name`, as stored next to every data key. */
  readonly expectedName: string;
  /** Whether the provider talks to a remote service (enables the outage tests). */
  readonly remote: boolean;
}

/** A logger that keeps everything as text, for the "nothing secret in logs" check. */
export function captureLogger(lines: string[]): KeyProviderLogger {
  const record = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  return { info: record('info'), warn: record('warn') };
}

export function randomContext(): EncryptionContext {
  return { developerId: `dev_${randomBytes(6).toString('hex')}`, dataKeyId: randomUUID() };
}

/** Every textual form a leaked secret could take in a message. */
export function leakForms(secret: string | Buffer): string[] {
  if (typeof secret === 'string') return secret.length >= 8 ? [secret] : [];
  return [secret.toString('hex'), secret.toString('base64'), secret.toString('base64url'), encodeURIComponent(secret.toString('base64'))];
}

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

export function defineKeyProviderContract(options: ContractOptions, setup: () => Promise<ContractHarness>): void {
  describe(`KeyProvider contract: ${options.expectedName}`, () => {
    let harness: ContractHarness;
    let provider: KeyProvider;
    const errors: unknown[] = [];
    const keyMaterial: Buffer[] = [];
    const consoleLines: string[] = [];
    const spies: jest.SpyInstance[] = [];

    /** Awaits a rejection, checks it is a KeyProviderError with `code`, and keeps it for the leak check. */
    async function expectFailure(promise: Promise<unknown>, code: KeyProviderError['code']): Promise<KeyProviderError> {
      let caught: unknown;
      try {
        await promise;
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeDefined();
      errors.push(caught);
      expect(caught).toBeInstanceOf(KeyProviderError);
      expect((caught as KeyProviderError).name).toBe('KeyProviderError');
      expect((caught as KeyProviderError).code).toBe(code);
      return caught as KeyProviderError;
    }

    async function generate(p: KeyProvider = provider, context = randomContext()) {
      const generated = await p.generateDataKey(context);
      keyMaterial.push(Buffer.from(generated.plaintext));
      return { ...generated, context };
    }

    beforeAll(async () => {
      for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
        spies.push(
          jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
            consoleLines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
          }),
        );
      }
      harness = await setup();
      provider = await harness.create();
    });

    afterAll(async () => {
      await provider?.close?.();
      await harness?.teardown();
      for (const spy of spies) spy.mockRestore();
    });

    it('has a stable name', () => {
      expect(provider.name).toBe(options.expectedName);
    });

    it('is healthy when its backend is reachable', async () => {
      await expect(provider.checkHealth()).resolves.toBeUndefined();
    });

    describe('data keys', () => {
      it('generates 32-byte keys that unwrap to the same bytes', async () => {
        const a = await generate();
        expect(Buffer.isBuffer(a.plaintext)).toBe(true);
        expect(a.plaintext).toHaveLength(32);
        expect(a.wrapped.keyRef).toEqual(expect.any(String));
        expect(a.wrapped.keyRef.length).toBeGreaterThan(0);
        expect(Buffer.isBuffer(a.wrapped.ciphertext)).toBe(true);
        expect(a.wrapped.ciphertext.includes(a.plaintext)).toBe(false);
        expect(a.wrapped.ciphertext.toString('latin1')).not.toContain(a.plaintext.toString('base64'));
        expect(a.wrapped.ciphertext.toString('latin1')).not.toContain(a.plaintext.toString('hex'));

        const unwrapped = await provider.unwrapDataKey(a.wrapped, a.context);
        expect(unwrapped.equals(a.plaintext)).toBe(true);
        expect(provider.isCurrent(a.wrapped)).toBe(true);
      });

      it('never hands out the same key twice', async () => {
        const a = await generate();
        const b = await generate();
        expect(a.plaintext.equals(b.plaintext)).toBe(false);
        expect(a.wrapped.ciphertext.equals(b.wrapped.ciphertext)).toBe(false);
      });

      it('unwraps with a structurally equal (not identical) context', async () => {
        const a = await generate();
        const unwrapped = await provider.unwrapDataKey(
          { keyRef: `${a.wrapped.keyRef}`, ciphertext: Buffer.from(a.wrapped.ciphertext) },
          { developerId: `${a.context.developerId}`, dataKeyId: `${a.context.dataKeyId}` },
        );
        expect(unwrapped.equals(a.plaintext)).toBe(true);
      });
    });

    describe('context binding', () => {
      it('refuses a wrapped key presented for another developer', async () => {
        const a = await generate();
        await expectFailure(provider.unwrapDataKey(a.wrapped, { ...a.context, developerId: `${a.context.developerId}x` }), 'INVALID_CIPHERTEXT');
      });

      it('refuses a wrapped key presented for another data key row', async () => {
        const a = await generate();
        await expectFailure(provider.unwrapDataKey(a.wrapped, { ...a.context, dataKeyId: randomUUID() }), 'INVALID_CIPHERTEXT');
      });

      it('does not confuse the two context fields', async () => {
        const context = { developerId: 'same-id', dataKeyId: 'same-id-2' };
        const a = await generate(provider, context);
        await expectFailure(
          provider.unwrapDataKey(a.wrapped, { developerId: context.dataKeyId, dataKeyId: context.developerId }),
          'INVALID_CIPHERTEXT',
        );
      });

      it('binds the context of wrapDataKey too', async () => {
        const bytes = randomBytes(32);
        keyMaterial.push(bytes);
        const context = randomContext();
        const wrapped = await provider.wrapDataKey(bytes, context);
        await expectFailure(provider.unwrapDataKey(wrapped, randomContext()), 'INVALID_CIPHERTEXT');
      });
    });

    describe('tampering', () => {
      it.each([
        ['the last byte', (c: Buffer) => flipByte(c, c.length - 1)],
        ['a byte in the middle', (c: Buffer) => flipByte(c, Math.floor(c.length / 2) + 3)],
        ['a truncated blob', (c: Buffer) => c.subarray(0, c.length - 5)],
        ['an empty blob', () => Buffer.alloc(0)],
      ])('refuses %s', async (_what, tamper) => {
        const a = await generate();
        await expectFailure(provider.unwrapDataKey({ ...a.wrapped, ciphertext: tamper(a.wrapped.ciphertext) }, a.context), 'INVALID_CIPHERTEXT');
      });
    });

    describe('wrapping existing key material', () => {
      it('round-trips bytes it did not generate', async () => {
        const bytes = randomBytes(32);
        keyMaterial.push(bytes);
        const context = randomContext();
        const wrapped = await provider.wrapDataKey(bytes, context);
        expect(wrapped.ciphertext.includes(bytes)).toBe(false);
        expect(provider.isCurrent(wrapped)).toBe(true);
        expect((await provider.unwrapDataKey(wrapped, context)).equals(bytes)).toBe(true);
      });

      it('refuses material that is not 32 bytes', async () => {
        await expect(provider.wrapDataKey(randomBytes(16), randomContext())).rejects.toBeInstanceOf(KeyProviderError);
      });

      it('migrates keys in from another provider and back out (unwrap with A, wrap with B)', async () => {
        const other = new LocalKeyProvider([{ id: 'migration-source', key: randomBytes(32) }]);
        const context = randomContext();
        const fromOther = await other.generateDataKey(context);
        keyMaterial.push(Buffer.from(fromOther.plaintext));

        const bytes = await other.unwrapDataKey(fromOther.wrapped, context);
        const moved = await provider.wrapDataKey(bytes, context);
        expect((await provider.unwrapDataKey(moved, context)).equals(fromOther.plaintext)).toBe(true);

        const mine = await generate(provider, randomContext());
        const out = await other.wrapDataKey(await provider.unwrapDataKey(mine.wrapped, mine.context), mine.context);
        expect((await other.unwrapDataKey(out, mine.context)).equals(mine.plaintext)).toBe(true);
      });
    });

    describe('root key rotation', () => {
      it('uses the new root key for new keys, keeps old ones readable, and rewraps them', async () => {
        const before = await generate();
        const wrappedBefore = await provider.wrapDataKey(randomBytes(32), randomContext());
        expect(provider.isCurrent(before.wrapped)).toBe(true);

        provider = await harness.rotate(provider);
        const after = await generate();
        expect(after.wrapped.keyRef).not.toBe(before.wrapped.keyRef);
        expect(provider.isCurrent(after.wrapped)).toBe(true);
        expect(provider.isCurrent(before.wrapped)).toBe(false);
        expect(provider.isCurrent(wrappedBefore)).toBe(false);

        // Old keys still unwrap after rotation: rewrapping is lazy, not a flag day.
        expect((await provider.unwrapDataKey(before.wrapped, before.context)).equals(before.plaintext)).toBe(true);

        const rewrapped = await provider.rewrapDataKey(before.wrapped, before.context);
        expect(provider.isCurrent(rewrapped)).toBe(true);
        expect(rewrapped.keyRef).toBe(after.wrapped.keyRef);
        expect(rewrapped.ciphertext.equals(before.wrapped.ciphertext)).toBe(false);
        expect(rewrapped.ciphertext.includes(before.plaintext)).toBe(false);
        expect((await provider.unwrapDataKey(rewrapped, before.context)).equals(before.plaintext)).toBe(true);

        // The rewrapped key is still bound to its context.
        await expectFailure(provider.unwrapDataKey(rewrapped, randomContext()), 'INVALID_CIPHERTEXT');

        // Rewrapping a current key is harmless: still current, still the same bytes.
        const again = await provider.rewrapDataKey(rewrapped, before.context);
        expect(provider.isCurrent(again)).toBe(true);
        expect((await provider.unwrapDataKey(again, before.context)).equals(before.plaintext)).toBe(true);

        const wrappedAfter = await provider.wrapDataKey(randomBytes(32), randomContext());
        expect(provider.isCurrent(wrappedAfter)).toBe(true);
      });

      it('refuses to rewrap under the wrong context', async () => {
        const a = await generate();
        provider = await harness.rotate(provider);
        await generate();
        expect(provider.isCurrent(a.wrapped)).toBe(false);
        await expectFailure(provider.rewrapDataKey(a.wrapped, randomContext()), 'INVALID_CIPHERTEXT');
      });

      it('a freshly started provider reads keys wrapped before the restart', async () => {
        const a = await generate();
        const restarted = await harness.create();
        try {
          expect((await restarted.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
        } finally {
          await restarted.close?.();
        }
      });
    });

    // In-process providers have no outage to test; the block is left out rather than skipped.
    if (options.remote) describe('outages', () => {
      const remote = (): RemoteControls => {
        if (!harness.remote) throw new Error('remote provider harness without remote controls');
        return harness.remote;
      };

      afterEach(() => remote().clearFaults());

      it('retries transient 5xx answers and then succeeds', async () => {
        const r = remote();
        const a = await generate();
        r.failNext(r.maxAttempts - 1);
        expect((await provider.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
      });

      it('retries throttling and then succeeds', async () => {
        const r = remote();
        r.throttleNext(r.maxAttempts - 1);
        const start = r.requestCount();
        await generate();
        expect(r.requestCount() - start).toBe(r.maxAttempts);
      });

      // Bounded by counts, not elapsed time: a loaded machine is slow, not wrong.
      it('gives up with PROVIDER_UNAVAILABLE after its bounded attempts when 5xx outlast the retries', async () => {
        const r = remote();
        const a = await generate();
        r.failNext(1000);
        const start = r.requestCount();
        await expectFailure(provider.unwrapDataKey(a.wrapped, a.context), 'PROVIDER_UNAVAILABLE');
        expect(r.requestCount() - start).toBe(r.maxAttempts);
        r.clearFaults();
        expect((await provider.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
      });

      it('times out a backend that stops answering', async () => {
        const r = remote();
        const a = await generate();
        r.setLatency(r.timeoutMs * 4);
        const start = r.requestCount();
        // Had the provider waited, the slow answer would have succeeded: the failure is the timeout.
        await expectFailure(provider.unwrapDataKey(a.wrapped, a.context), 'PROVIDER_UNAVAILABLE');
        expect(r.requestCount() - start).toBeLessThanOrEqual(r.maxAttempts);
        r.setLatency(0);
        expect((await provider.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
      });

      it('reports an unreachable backend as PROVIDER_UNAVAILABLE and unhealthy, then recovers', async () => {
        const r = remote();
        const a = await generate();
        await r.stop();
        try {
          await expectFailure(provider.unwrapDataKey(a.wrapped, a.context), 'PROVIDER_UNAVAILABLE');
          await expectFailure(provider.generateDataKey(randomContext()), 'PROVIDER_UNAVAILABLE');
          await expectFailure(provider.checkHealth(), 'PROVIDER_UNAVAILABLE');
        } finally {
          await r.start();
        }
        await expect(provider.checkHealth()).resolves.toBeUndefined();
        expect((await provider.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
      });

      it('a provider created while the backend is down starts, reports unhealthy, and works once it is back', async () => {
        const r = remote();
        await r.stop();
        let late: KeyProvider | undefined;
        try {
          late = await harness.create();
          await expectFailure(late.checkHealth(), 'PROVIDER_UNAVAILABLE');
        } finally {
          await r.start();
        }
        try {
          await expect(late.checkHealth()).resolves.toBeUndefined();
          const a = await generate(late);
          expect((await late.unwrapDataKey(a.wrapped, a.context)).equals(a.plaintext)).toBe(true);
        } finally {
          await late?.close?.();
        }
      });
    });

    // Runs last (jest keeps declaration order): everything the suite provoked is inspected.
    it('never puts key material, tokens or secret keys in errors or logs', () => {
      const forbidden = [...harness.secrets().flatMap(leakForms), ...keyMaterial.flatMap(leakForms)];
      expect(forbidden.length).toBeGreaterThan(0);
      expect(errors.length).toBeGreaterThan(0);
      if (options.remote) {
        // Proves this ran after the outage tests, whose errors and retry log lines are the riskiest.
        expect(errors.some((e) => (e as KeyProviderError).code === 'PROVIDER_UNAVAILABLE')).toBe(true);
        expect(harness.logs.some((line) => line.includes('retrying'))).toBe(true);
      }
      const texts: string[] = [...consoleLines];
      for (const error of errors) {
        const e = error as Error & { cause?: unknown };
        texts.push(String(e.message), String(e.stack), JSON.stringify(e));
        if (e.cause !== undefined) texts.push(String((e.cause as Error)?.message ?? e.cause), JSON.stringify(e.cause) ?? '');
      }
      texts.push(...harness.logs);
      for (const text of texts) {
        for (const secret of forbidden) {
          if (text.includes(secret)) throw new Error(`secret value leaked into: ${text.slice(0, 120)}...`);
        }
      }
    });
  });
}
