import { KeyProviderError } from '../../../src/crypto/key-provider';
import {
  backoffDelay,
  maxTotalBackoff,
  readIntSetting,
  requireSetting,
  scrubVendorMessage,
  sleep,
  withRetry,
} from '../../../plugins/shared/retry';

const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 30 };

describe('backoffDelay', () => {
  it('doubles per retry, keeps at least half of it fixed, and is capped', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(5);
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(9);
    expect(backoffDelay(policy, 2, () => 0)).toBe(10);
    expect(backoffDelay(policy, 3, () => 0)).toBe(15); // 40 capped to 30
    expect(backoffDelay(policy, 30, () => 1)).toBe(30);
  });

  it('sums the worst case for deadlines', () => {
    expect(maxTotalBackoff(policy)).toBe(10 + 20 + 30);
    expect(maxTotalBackoff({ ...policy, maxAttempts: 1 })).toBe(0);
  });
});

describe('withRetry', () => {
  const retryAll = () => ({ retry: true, reason: 'test' });

  it('retries until the operation succeeds', async () => {
    const seen: number[] = [];
    const onRetry = jest.fn();
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error('transient');
        return 'ok';
      },
      { policy, classify: retryAll, onRetry },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(onRetry.mock.calls[0][0]).toMatchObject({ attempt: 1, reason: 'test' });
  });

  it('stops after maxAttempts and rethrows the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error(`failure ${calls}`);
        },
        { policy, classify: retryAll },
      ),
    ).rejects.toThrow('failure 4');
    expect(calls).toBe(4);
  });

  it('does not retry what the classifier refuses', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error('permanent');
        },
        { policy, classify: () => ({ retry: false, reason: 'no' }) },
      ),
    ).rejects.toThrow('permanent');
    expect(calls).toBe(1);
  });

  it('honours a server retry hint, but never beyond maxDelayMs', async () => {
    const delays: number[] = [];
    await withRetry(
      async (attempt) => {
        if (attempt === 1) throw new Error('slow down');
        return undefined;
      },
      { policy, classify: () => ({ retry: true, reason: '429', retryAfterMs: 60_000 }), onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(delays).toEqual([30]);
  });
});

describe('sleep', () => {
  it('can be aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('settings', () => {
  it('reads integers with defaults and bounds', () => {
    const spec = { default: 5, min: 1, max: 10 };
    expect(readIntSetting({}, 'X', spec)).toBe(5);
    expect(readIntSetting({ X: ' ' }, 'X', spec)).toBe(5);
    expect(readIntSetting({ X: '7' }, 'X', spec)).toBe(7);
    for (const bad of ['0', '11', '2.5', 'abc', '1e3']) {
      expect(() => readIntSetting({ X: bad }, 'X', spec)).toThrow(KeyProviderError);
    }
    try {
      readIntSetting({ X: 'abc' }, 'X', spec);
    } catch (error) {
      expect((error as KeyProviderError).code).toBe('MISCONFIGURED');
      expect((error as Error).message).toContain('X must be an integer between 1 and 10');
    }
  });

  it('requires settings without echoing anything', () => {
    expect(requireSetting({ A: ' v ' }, 'A', 'why')).toBe('v');
    expect(() => requireSetting({}, 'A', 'because')).toThrow('A is required (because)');
  });
});

describe('scrubVendorMessage', () => {
  it('cuts out key-like and ciphertext-like runs but keeps identifiers', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const hex = Buffer.alloc(32, 9).toString('hex');
    const text = `Key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab bad ${key} / ${hex} vault:v3:AAAABBBB==`;
    const scrubbed = scrubVendorMessage(text, 1000);
    expect(scrubbed).toContain('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(scrubbed).not.toContain(key);
    expect(scrubbed).not.toContain(hex);
    expect(scrubbed).not.toContain('AAAABBBB');
  });

  it('truncates and tolerates non-strings', () => {
    expect(scrubVendorMessage('word '.repeat(100), 20)).toHaveLength(23);
    expect(scrubVendorMessage(undefined)).toBe('');
  });
});
