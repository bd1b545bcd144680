import DataLoader from 'dataloader';
import { type LiveWithSealed, MAX_NAMES_PER_READ, type SecretRepository } from './repository';

interface Lookup {
  readonly developerId: string;
  readonly name: string;
}

/**
 * Coalesces concurrent lookups of live secrets by name: the lookups made while the event loop
 * works through one round of I/O (dozens of requests parsed together under load) go out as one
 * query per developer (`live_name IN (...)`) instead of one each, with DataLoader doing the
 * batching. Under load that halves the round trips of a reveal, and with them the driver's and
 * the database's CPU; a lone lookup still goes out at once, after the round (setImmediate).
 *
 * Nothing is cached: every lookup reads the database, so a change committed before it started is
 * seen. Tenants never mix: a batch is split by developer id, each query is scoped by it, and a
 * row answers a lookup only of its own developer and name.
 */
export class SecretLookups {
  private readonly loader: DataLoader<Lookup, LiveWithSealed | undefined, Lookup>;

  constructor(repo: SecretRepository) {
    this.loader = new DataLoader((lookups) => this.read(repo, lookups), {
      cache: false,
      maxBatchSize: MAX_NAMES_PER_READ,
      batchScheduleFn: (run) => setImmediate(run),
    });
  }

  find(developerId: string, name: string): Promise<LiveWithSealed | undefined> {
    return this.loader.load({ developerId, name });
  }

  private async read(repo: SecretRepository, lookups: readonly Lookup[]): Promise<Array<LiveWithSealed | undefined | Error>> {
    const names = new Map<string, Set<string>>();
    for (const { developerId, name } of lookups) {
      const set = names.get(developerId) ?? new Set();
      set.add(name);
      names.set(developerId, set);
    }
    const found = new Map<string, Map<string, LiveWithSealed> | Error>();
    await Promise.all(
      [...names].map(async ([developerId, set]) => {
        try {
          found.set(developerId, await repo.findLiveWithCurrentVersions(developerId, [...set]));
        } catch (error) {
          // Only this developer's lookups fail with it; the others' query may well have worked.
          found.set(developerId, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    return lookups.map(({ developerId, name }) => {
      const rows = found.get(developerId)!;
      return rows instanceof Error ? rows : rows.get(name);
    });
  }
}
