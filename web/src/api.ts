import { type AnyVariables, type Client, type TypedDocumentNode } from '@urql/core';
import { createContext, useCallback, useContext } from 'react';
import { useClient } from 'urql';
import { type Problem, problemFromCombined, problemFromUnion, type UnionError } from './errors';

/** Problems the whole page should see (outage, refused scope, ...): shown as banners by the layout. */
export interface BannerApi {
  report(problem: Problem): void;
  clear(): void;
}
export const BannerContext = createContext<BannerApi>({ report: () => undefined, clear: () => undefined });
export const useBanners = (): BannerApi => useContext(BannerContext);

/** Problems that belong on a page, not in a field or dialog. */
export function isBannerProblem(problem: Problem): boolean {
  return !['validation', 'conflict', 'name-taken', 'unauthenticated'].includes(problem.kind);
}

export type Outcome<T> = { readonly data: T; readonly problem?: undefined } | { readonly data?: undefined; readonly problem: Problem };

/**
 * Runs one operation. Banner-level problems are reported to the layout; the caller gets every
 * problem back too, to show field errors or a conflict dialog.
 */
export function useRequest() {
  const client = useClient();
  const banners = useBanners();
  return useCallback(
    async <TData, TVars extends AnyVariables>(
      kind: 'query' | 'mutation',
      document: TypedDocumentNode<TData, TVars>,
      variables: TVars,
    ): Promise<Outcome<TData>> => {
      const result = await (kind === 'query' ? client.query(document, variables) : client.mutation(document, variables)).toPromise();
      if (result.error || !result.data) {
        const problem = result.error ? problemFromCombined(result.error) : ({ kind: 'unexpected', message: 'Empty response' } as Problem);
        if (isBannerProblem(problem)) banners.report(problem);
        return { problem };
      }
      return { data: result.data };
    },
    [client, banners],
  );
}

/** Picks the payload out of an XResult union, or turns the error member into a Problem. */
export function payloadOf<T extends { __typename?: string }, N extends string>(
  result: T,
  payloadType: N,
  banners: BannerApi,
): Outcome<Extract<T, { __typename?: N }>> {
  if (result.__typename === payloadType) return { data: result as Extract<T, { __typename?: N }> };
  const problem = problemFromUnion(result as unknown as UnionError);
  if (isBannerProblem(problem)) banners.report(problem);
  return { problem };
}

export type { Client };
