import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import { isMysql } from './dialect';

/**
 * A query that kysely builds and compiles once per dialect and then runs with new values.
 * Kysely otherwise rebuilds the query's (immutable) node tree and recompiles it on every call;
 * for the one read of every reveal that cost about as much CPU as the driver itself
 * (docs/performance.md). Only for queries whose SQL does not depend on the values: no IN lists,
 * no optional clauses, and string arguments only (they are found in the compiled parameters by
 * identity). A database with plugins (tests that watch queries) gets the ordinary path, so a
 * plugin sees, and may rewrite, every query.
 */
export function prepared<DB, Args extends string[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Compilable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<Row[]> {
  const compiled = new Map<boolean, { sql: string; slots: Array<{ arg: number } | { value: unknown }> }>();
  return async (db, ...args) => {
    if (db.getExecutor().plugins.length > 0) return (await db.executeQuery(build(db, ...args))).rows;
    const mysql = isMysql(db);
    let query = compiled.get(mysql);
    if (!query) {
      const markers = args.map((_, i) => `\u0000prepared-argument-${i}\u0000`) as Args;
      const first = build(db, ...markers).compile();
      const slots = first.parameters.map((value) => {
        const arg = markers.indexOf(value as string);
        return arg >= 0 ? { arg } : { value };
      });
      if (new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : []))).size !== args.length) {
        throw new Error('prepared query: every argument must appear as a bound parameter');
      }
      query = { sql: first.sql, slots };
      compiled.set(mysql, query);
    }
    const parameters = query.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    return (await db.executeQuery(CompiledQuery.raw(query.sql, parameters))).rows as Row[];
  };
}
