import { GroupCommitter } from '../../src/audit/group-commit';

describe('GroupCommitter', () => {
  it('commits a lone item at once and batches items that arrive during a commit', async () => {
    const commits: Array<[string, number[]]> = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const committer = new GroupCommitter<number>(async (key, items) => {
      commits.push([key, items]);
      if (commits.length === 1) await gate;
    });
    const first = committer.submit('dev-a', 1);
    const later = [2, 3, 4].map((n) => committer.submit('dev-a', n));
    const other = committer.submit('dev-b', 9);
    await other;
    expect(commits).toEqual([
      ['dev-a', [1]],
      ['dev-b', [9]],
    ]);
    release();
    await Promise.all([first, ...later]);
    expect(commits).toEqual([
      ['dev-a', [1]],
      ['dev-b', [9]],
      ['dev-a', [2, 3, 4]],
    ]);
  });

  it('rejects every caller of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const committer = new GroupCommitter<number>(async () => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('disk full');
    });
    const results = await Promise.allSettled([committer.submit('k', 1), committer.submit('k', 2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(committer.submit('k', 3)).resolves.toBeUndefined();
  });

  it('bounds a batch: items beyond maxBatch wait for the next commit', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const committer = new GroupCommitter<number>(async (_key, items) => {
      sizes.push(items.length);
      if (sizes.length === 1) await gate;
    }, { maxBatch: 4 });
    const all = Array.from({ length: 11 }, (_, i) => committer.submit('k', i));
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 4, 4, 2]);
  });

  it('fails only the items a commit reports as failed', async () => {
    const committer = new GroupCommitter<number>(async (_key, items) => items.map((n) => (n % 2 ? new Error(`odd ${n}`) : undefined)));
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => committer.submit('k', n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('odd 3');
  });

  it('after a batch of n, lets the next batch fill to n before committing, so callers coming back together stay together', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number>(async (_key, items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 10)); // a commit takes a while: the wait bound is half of it
    });
    await committer.submit('k', 0);
    await Promise.all([1, 2, 3, 4].map((n) => committer.submit('k', n))); // [1] alone, then [2, 3, 4]
    // Three callers come back at once, but one a few microtasks ahead of the others.
    const first = committer.submit('k', 5);
    await Promise.resolve();
    await Promise.resolve();
    await Promise.all([first, committer.submit('k', 6), committer.submit('k', 7)]);
    expect(sizes).toEqual([1, 1, 3, 3]);
  });

  it('never waits with maxWaitMs 0', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number>(async (_key, items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 10));
    }, { maxWaitMs: 0 });
    await committer.submit('k', 0);
    await Promise.all([1, 2, 3, 4].map((n) => committer.submit('k', n)));
    const first = committer.submit('k', 5);
    await Promise.resolve();
    await Promise.all([first, committer.submit('k', 6), committer.submit('k', 7)]);
    expect(sizes).toEqual([1, 1, 3, 1, 2]);
  });

  it('with concurrency 2 runs a second batch while the first commits, never a third', async () => {
    const commits: number[][] = [];
    let running = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const committer = new GroupCommitter<number>(
      async (_key, items) => {
        commits.push(items);
        most = Math.max(most, ++running);
        await new Promise<void>((r) => gates.push(r));
        running--;
      },
      { concurrency: 2, maxWaitMs: 0 },
    );
    const first = committer.submit('k', 1);
    const second = committer.submit('k', 2);
    const rest = [3, 4, 5].map((n) => committer.submit('k', n));
    expect(commits).toEqual([[1], [2]]);
    gates.shift()!();
    await first;
    expect(commits).toEqual([[1], [2], [3, 4, 5]]);
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all([second, ...rest]);
    expect(most).toBe(2);
  });
});
