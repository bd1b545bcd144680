import { useEffect, useState } from 'react';

/**
 * Routes live in the URL fragment (#/secrets/NAME), so the server has one page to serve and
 * the fragment never reaches a server log. Secret names may appear there; values never do.
 */
export type Route =
  | { readonly page: 'secrets' }
  | { readonly page: 'deleted' }
  | { readonly page: 'new-secret' }
  | { readonly page: 'secret'; readonly name: string }
  | { readonly page: 'api-keys' }
  | { readonly page: 'audit'; readonly secretName?: string }
  | { readonly page: 'tasks' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  switch (parts[0]) {
    case 'deleted':
      return { page: 'deleted' };
    case 'new-secret':
      return { page: 'new-secret' };
    case 'secrets':
      return parts[1] ? { page: 'secret', name: parts[1] } : { page: 'secrets' };
    case 'api-keys':
      return { page: 'api-keys' };
    case 'audit':
      return parts[1] ? { page: 'audit', secretName: parts[1] } : { page: 'audit' };
    case 'tasks':
      return { page: 'tasks' };
    default:
      return { page: 'secrets' };
  }
}

export function href(route: Route): string {
  switch (route.page) {
    case 'secret':
      return `#/secrets/${encodeURIComponent(route.name)}`;
    case 'new-secret':
      return '#/new-secret';
    case 'audit':
      return route.secretName ? `#/audit/${encodeURIComponent(route.secretName)}` : '#/audit';
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
