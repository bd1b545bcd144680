import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ConsoleSite } from './console/static-site';

/**
 * The HTTP layer in front of yoga: the web console's static files are answered here, before
 * yoga and so outside its bearer-token auth; everything else goes to yoga.
 */
export function createRequestListener(yoga: RequestListener, consoleSite: ConsoleSite | undefined): RequestListener {
  if (!consoleSite) return yoga;
  return (request: IncomingMessage, response: ServerResponse) => {
    if (consoleSite.handle(request, response)) return;
    yoga(request, response);
  };
}
