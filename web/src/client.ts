import { Client, fetchExchange, mapExchange } from '@urql/core';

/**
 * The console's GraphQL client: urql with only the fetch exchange, on purpose. Without a
 * document cache nothing keeps query results after the component that asked has gone, so a
 * revealed value lives exactly as long as the Reveal component shows it, and every screen
 * shows the server's current state (check-and-set edits start from the real version).
 */
export function createConsoleClient(options: { token: string; onUnauthenticated: () => void }): Client {
  return new Client({
    url: '/graphql',
    // Same-origin requests; the token goes only in the Authorization header.
    fetchOptions: () => ({
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      headers: { authorization: `Bearer ${options.token}` },
    }),
    preferGetMethod: false,
    requestPolicy: 'network-only',
    exchanges: [
      mapExchange({
        onError(error) {
          const unauthenticated =
            error.response?.status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
          if (unauthenticated) options.onUnauthenticated();
        },
      }),
      fetchExchange,
    ],
  });
}

/** Settings the server publishes for the sign-in page (/console/config.json). */
export interface ConsoleSettings {
  readonly jwtIssuer: string | null;
  readonly development: boolean;
}

export async function loadSettings(): Promise<ConsoleSettings> {
  try {
    const response = await fetch('/console/config.json', { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) throw new Error(String(response.status));
    const body = (await response.json()) as Partial<ConsoleSettings>;
    return { jwtIssuer: typeof body.jwtIssuer === 'string' ? body.jwtIssuer : null, development: body.development === true };
  } catch {
    return { jwtIssuer: null, development: false };
  }
}

/** /readyz says whether the key provider answers; the console warns before anything fails. */
export async function keyProviderReachable(): Promise<boolean> {
  try {
    const response = await fetch('/readyz', { cache: 'no-store', credentials: 'omit' });
    const body = (await response.json()) as { checks?: Record<string, string> };
    return body.checks?.keyProvider !== 'unavailable';
  } catch {
    return true; // the server itself is unreachable: requests will say so
  }
}
