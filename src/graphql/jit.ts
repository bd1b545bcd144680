import type { DocumentNode, ExecutionResult } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Executes hot documents through graphql-jit: a document compiled to a JavaScript function skips
 * the interpreter's walk of the selection set on every request. Compiling costs far more than
 * one interpreted execution, so only an operation that has run `hotAfter` times is compiled: a
 * caller sending ever-new documents never triggers a compile, while the clients' fixed
 * operations (the CLI's, the typed client's) are compiled after their first few runs. A document
 * graphql-jit cannot compile keeps the ordinary executor.
 *
 * Bounded without a cache of its own: run counts and compiled queries hang off the parsed
 * document in a WeakMap, so they live only as long as yoga's bounded parse cache keeps it.
 */
type Entry = number | CompiledQuery | null;

export function useHotJit(options: { hotAfter: number }): Plugin {
  const byDocument = new WeakMap<DocumentNode, Map<string, Entry>>();
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const document = args.document as DocumentNode;
      let operations = byDocument.get(document);
      if (!operations) byDocument.set(document, (operations = new Map()));
      // One compiled query per operation of the document (a document may hold several).
      const name = args.operationName ?? '';
      const stored = operations.get(name);
      let entry: Entry = stored === undefined ? 0 : stored;
      if (typeof entry === 'number') {
        if (entry < options.hotAfter) {
          operations.set(name, entry + 1);
          return;
        }
        const compiled = compileQuery(args.schema, document, args.operationName ?? undefined);
        entry = isCompiledQuery(compiled) ? compiled : null;
        operations.set(name, entry);
      }
      if (entry === null) return;
      const query = entry;
      setExecuteFn((run) => {
        const result = runCompiled(query, run.rootValue, run.contextValue, run.variableValues as Record<string, unknown> | undefined);
        // No data at all: the request failed before running (its variables did not coerce).
        // graphql-jit words and types those errors its own way; the ordinary executor answers
        // them as every client knows them.
        const settled = (r: ExecutionResult) => (notRun(r) ? executeFn(run) : r);
        return result instanceof Promise ? result.then(settled) : settled(result);
      });
    },
  };
}

/** Runs a compiled query; its result or a promise of it. */
export function runCompiled(query: CompiledQuery, root: unknown, context: unknown, variables: Record<string, unknown> | null | undefined): ExecutionResult | Promise<ExecutionResult> {
  return query.query(root, context, variables as Record<string, unknown>) as ExecutionResult | Promise<ExecutionResult>;
}

/**
 * A result without any data: the operation never ran, because its variables did not coerce.
 * The answer to that comes from the ordinary executor, whose wording clients know.
 */
export function notRun(result: ExecutionResult): boolean {
  return result.data === undefined && Boolean(result.errors?.length);
}
