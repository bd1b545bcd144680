import type { Page } from '../pagination';

/** Shapes a service page as a Relay connection. */
export function toConnection<T>(page: Page<T>, cursorOf: (node: T) => string) {
  const edges = page.items.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
