import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Serves the built web console (web/dist) under /console, outside yoga and its bearer-token
 * auth: the page and its assets are public, every GraphQL call the page makes is authenticated
 * as usual. Files are read once at start-up into memory (the bundle is small), so a request can
 * only ever get one of the files that were built: there is no path from a URL to the file system.
 */

export const CONSOLE_PATH = '/console';
const CONSOLE_WORD = CONSOLE_PATH.slice(1);

/**
 * Everything the page needs comes from this server; no inline script or style, no eval. The
 * GraphQL endpoint is same-origin, so connect-src 'self' is enough.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  // DOM sinks (innerHTML, script src from strings) refuse plain strings: React never needs them.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  /** Vite puts a content hash in every asset name, so those can be cached for good. */
  readonly immutable: boolean;
}

export interface ConsoleSiteOptions {
  /** The Vite output folder (web/dist). */
  readonly dir: string;
  /** Served as /console/config.json: what the sign-in page offers. */
  readonly settings: ConsoleSettings;
}

export interface ConsoleSettings {
  /** The JWT issuer accepted as bearer tokens, when one is configured. */
  readonly jwtIssuer: string | null;
  readonly development: boolean;
}

export interface ConsoleSite {
  /** False when web/dist has no index.html (the console was not built). */
  readonly built: boolean;
  /** Handles the request when it is for /console; returns false to let the next handler have it. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
}

export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
}

export function loadConsoleSite(options: ConsoleSiteOptions): ConsoleSite {
  const files = readBuiltFiles(options.dir);
  files.set('/config.json', makeFile('.json', Buffer.from(JSON.stringify(options.settings)), false));
  const index = files.get('/index.html');
  const built = index !== undefined;

  return {
    built,
    handle(request, response) {
      // Every API request passes here first: skip the URL parse when the path cannot be the
      // console's (URL parsing resolves dot segments but never decodes letters, so a console
      // path always spells the word).
      if (!request.url?.includes(CONSOLE_WORD)) return false;
      const url = new URL(request.url, 'http://console.invalid');
      if (!isConsolePath(url.pathname)) return false;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        send(response, 405, plain('method not allowed'), { allow: 'GET, HEAD' });
        return true;
      }
      if (!index) {
        send(response, 503, plain('the web console is not built: run `npm run build:web` (npm start does it when the bundle is missing or stale)\n'));
        return true;
      }
      const rest = url.pathname.slice(CONSOLE_PATH.length);
      // The console routes in the URL fragment, so the only page is index.html.
      const file = rest === '' || rest === '/' ? index : files.get(rest);
      if (!file) {
        send(response, 404, plain('not found\n'));
        return true;
      }
      serveFile(request, response, file);
      return true;
    },
  };
}

function readBuiltFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && statSync(full).size < 8 * 1024 * 1024) {
        const urlPath = `/${relative(dir, full).split(sep).join('/')}`;
        const ext = extname(entry.name);
        if (!TYPES[ext]) continue; // source maps and anything unexpected stay private
        files.set(urlPath, makeFile(ext, readFileSync(full), urlPath.startsWith('/assets/')));
      }
    }
  };
  walk(dir);
  return files;
}

function makeFile(ext: string, body: Buffer, immutable: boolean): StaticFile {
  const type = TYPES[ext] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
  return {
    body,
    gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    immutable,
  };
}

function serveFile(request: IncomingMessage, response: ServerResponse, file: StaticFile): void {
  const headers: Record<string, string> = {
    'content-type': file.type,
    etag: file.etag,
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'accept-encoding',
  };
  if (request.headers['if-none-match'] === file.etag) {
    send(response, 304, undefined, headers);
    return;
  }
  const gzip = file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (gzip) headers['content-encoding'] = 'gzip';
  send(response, 200, { body: gzip ? file.gzip! : file.body }, headers, request.method === 'HEAD');
}

function plain(text: string): { body: Buffer; type: string } {
  return { body: Buffer.from(text), type: 'text/plain; charset=utf-8' };
}

function send(
  response: ServerResponse,
  status: number,
  content: { body: Buffer; type?: string } | undefined,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  const all: Record<string, string> = { ...SECURITY_HEADERS, ...headers };
  if (content?.type) all['content-type'] = content.type;
  if (content) all['content-length'] = String(content.body.length);
  response.writeHead(status, all);
  response.end(headOnly || !content ? undefined : content.body);
}

/**
 * The package root: the nearest folder above this module with a package.json. The same for
 * src/console (tsx) and dist/src/console (compiled), so web/dist is found from both.
 */
export function defaultConsoleDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    const parent = join(dir, '..');
    if (parent === dir) return join(from, 'web', 'dist');
    dir = parent;
  }
}
