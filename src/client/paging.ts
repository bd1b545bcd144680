import type { Page } from './types';

/** Follows Relay cursors lazily: the next page is fetched only when the loop gets there. */
export async function* paginate<T>(fetchPage: (after: string | null) => Promise<Page<T>>): AsyncIterableIterator<T> {
  let after: string | null = null;
  for (;;) {
    const page: Page<T> = await fetchPage(after);
    yield* page.items;
    if (!page.hasNextPage || !page.endCursor) return;
    after = page.endCursor;
  }
}
