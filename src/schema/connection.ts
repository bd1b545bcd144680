import type { Page } from '../secrets/service';

/** Shapes a service page as a Relay connection (forward pagination only). */
export function toConnection<T>(page: Page<T>, cursorOf: (node: T) => string, after: string | null | undefined) {
  const edges = page.items.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
