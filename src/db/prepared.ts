import { type Compilable, CompiledQuery, type InsertObject, type Kysely, type QueryResult } from 'kysely';
import { isMysql } from './dialect';

/**
 * Queries that kysely builds and compiles once per dialect (and shape) and then runs with new
 * values. Kysely otherwise rebuilds the query's (immutable) node tree and recompiles it on every
 * call; for the one read of every reveal that cost about as much CPU as the driver itself, and
 * for the statements of every audit commit most of kysely's share of a reveal
 * (docs/performance.md). A database with plugins (tests that watch queries) gets the ordinary
 * path, so a plugin sees, and may rewrite, every query.
 */

type Slot = { arg: number } | { value: unknown };
interface Template {
  readonly sql: string;
  readonly slots: readonly Slot[];
}

/** A value no caller passes: found again by identity among the compiled parameters. */
const marker = (i: number) => `\u0000prepared-argument-${i}\u0000`;

function template(first: CompiledQuery, markers: readonly string[]): Template {
  const slots = first.parameters.map((value): Slot => {
    const arg = typeof value === 'string' ? markers.indexOf(value) : -1;
    return arg >= 0 ? { arg } : { value };
  });
  if (new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : []))).size !== markers.length) {
    throw new Error('prepared query: every argument must appear as a bound parameter');
  }
  return { sql: first.sql, slots };
}

function run<DB, R>(db: Kysely<DB>, query: Template, args: readonly unknown[]): Promise<QueryResult<R>> {
  const parameters = query.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
  return db.executeQuery<R>(CompiledQuery.raw(query.sql, parameters));
}

/**
 * `build` is called once per dialect with placeholders for its arguments, so it may only use
 * them as bound values: no IN lists, no optional clauses, no arithmetic on them (a number
 * argument arrives as a placeholder string at compile time). Returns the whole result (rows,
 * affected rows).
 */
export function preparedQuery<DB, Args extends unknown[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Compilable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<QueryResult<Row>> {
  const compiled = new Map<boolean, Template>();
  return async (db, ...args) => {
    if (db.getExecutor().plugins.length > 0) return db.executeQuery(build(db, ...args));
    const mysql = isMysql(db);
    let query = compiled.get(mysql);
    if (!query) {
      const markers = args.map((_, i) => marker(i));
      query = template(build(db, ...(markers as Args)).compile(), markers);
      compiled.set(mysql, query);
    }
    return run<DB, Row>(db, query, args);
  };
}

/** preparedQuery's rows: for reads. */
export function prepared<DB, Args extends unknown[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Compilable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<Row[]> {
  const query = preparedQuery(build);
  return async (db, ...args) => (await query(db, ...args)).rows;
}

/** Shapes kept per process: a few tables times the chunk sizes their callers cut batches into. */
const MAX_INSERT_SHAPES = 2048;
const insertShapes = new Map<string, Template>();

/**
 * A multi-row INSERT of `rows`, compiled once per dialect, table, columns and row count. Callers
 * cut batches into bounded chunks, so the number of shapes is bounded too; past
 * MAX_INSERT_SHAPES the cache starts over rather than grow. Rows whose columns differ from the
 * first row's (in number or key order), or that hold an undefined (which kysely leaves out of
 * the statement), take kysely's ordinary path, whose SQL depends on them.
 */
export async function insertRows<DB, T extends keyof DB & string>(db: Kysely<DB>, table: T, typedRows: ReadonlyArray<InsertObject<DB, T>>): Promise<void> {
  if (typedRows.length === 0) return;
  const rows = typedRows as ReadonlyArray<Record<string, unknown>>;
  const build = (values: ReadonlyArray<Record<string, unknown>>) => db.insertInto(table).values(values as ReadonlyArray<InsertObject<DB, T>>);
  const columns = Object.keys(rows[0]!);
  const args = db.getExecutor().plugins.length > 0 ? undefined : rowValues(rows, columns);
  if (!args) {
    await build(rows).execute();
    return;
  }
  const key = `${isMysql(db) ? 'mysql' : 'sqlite'}\u0000${table}\u0000${rows.length}\u0000${columns.join(',')}`;
  let query = insertShapes.get(key);
  if (!query) {
    const markers = args.map((_, i) => marker(i));
    const markedRows = rows.map((_, r) => Object.fromEntries(columns.map((c, i) => [c, markers[r * columns.length + i]])));
    query = template(build(markedRows).compile(), markers);
    if (insertShapes.size >= MAX_INSERT_SHAPES) insertShapes.clear();
    insertShapes.set(key, query);
  }
  await run(db, query, args);
}

/** The rows' values in column order, or undefined when a row does not fit the first row's shape. */
function rowValues(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): unknown[] | undefined {
  const args: unknown[] = [];
  for (const row of rows) {
    let i = 0;
    for (const key in row) {
      const value = row[key];
      if (key !== columns[i] || value === undefined) return undefined;
      args.push(value);
      i++;
    }
    if (i !== columns.length) return undefined;
  }
  return args;
}
