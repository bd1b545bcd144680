import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, defaultConsoleDir, loadConsoleSite } from '../../../src/console/static-site';
import { createRequestListener } from '../../../src/http';

/** The /console static handler in front of a stand-in for yoga, over real HTTP. */
describe('console static site', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let yogaCalls: string[];

  const start = async (siteDir: string | undefined) => {
    yogaCalls = [];
    const site = siteDir ? loadConsoleSite({ dir: siteDir, settings: { jwtIssuer: 'https://issuer.example', development: false } }) : undefined;
    server = createServer(
      createRequestListener((req, res) => {
        yogaCalls.push(req.url ?? '');
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('yoga');
      }, site),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return site;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'locksmith-console-site-'));
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const build = () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
    writeFileSync(join(dir, 'assets', 'app-abc123.js.map'), '{"sources":["../src/secret-source.tsx"]}');
    writeFileSync(join(dir, '.build-hash'), 'abc\n');
  };

  it('serves index.html and hashed assets with the strict CSP, no token needed', async () => {
    build();
    const site = await start(dir);
    expect(site?.built).toBe(true);
    for (const path of ['/console', '/console/']) {
      const page = await fetch(`${url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('cache-control')).toBe('no-cache');
    }
    const asset = await fetch(`${url}/console/assets/app-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip'); // fetch sends accept-encoding: gzip
    expect((await asset.text()).length).toBeGreaterThan(4000);
    expect(yogaCalls).toEqual([]);
  });

  it('answers 304 to a matching ETag and HEAD without a body', async () => {
    build();
    await start(dir);
    const first = await fetch(`${url}/console/`);
    const etag = first.headers.get('etag')!;
    expect((await fetch(`${url}/console/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(`${url}/console/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves only what was built: no source maps, stamps, traversal or other methods', async () => {
    build();
    await start(dir);
    for (const path of ['/console/assets/app-abc123.js.map', '/console/.build-hash', '/console/assets/missing.js', '/console/assets/..%2f..%2fpackage.json']) {
      const response = await fetch(`${url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    }
    expect((await fetch(`${url}/console/`, { method: 'POST', body: '{}' })).status).toBe(405);
    // Sent as-is (fetch would normalise it): the URL resolves outside /console, so yoga gets it.
    const raw = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/console/../package.json`, { path: '/console/../package.json' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw).toBe(404);
    expect(yogaCalls).toEqual(['/console/../package.json']);
  });

  it('publishes the sign-in settings as config.json', async () => {
    build();
    await start(dir);
    const response = await fetch(`${url}/console/config.json`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ jwtIssuer: 'https://issuer.example', development: false });
  });

  it('says plainly that the console is not built (503), leaving everything else to yoga', async () => {
    const site = await start(join(dir, 'nothing-here'));
    expect(site?.built).toBe(false);
    const response = await fetch(`${url}/console/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build:web');
    expect((await fetch(`${url}/graphql`)).status).toBe(404);
    expect(yogaCalls).toEqual(['/graphql']);
  });

  it('passes /console to yoga when the console is turned off', async () => {
    await start(undefined);
    expect((await fetch(`${url}/console/`)).status).toBe(404);
    expect(yogaCalls).toEqual(['/console/']);
  });

  it('leaves paths that only start like /console to yoga', async () => {
    build();
    await start(dir);
    await fetch(`${url}/consoles`);
    expect(yogaCalls).toEqual(['/consoles']);
  });

  it('finds web/dist from the package root, for tsx and compiled builds alike', () => {
    const root = join(__dirname, '..', '..', '..');
    expect(defaultConsoleDir(join(root, 'src', 'console'))).toBe(join(root, 'web', 'dist'));
    expect(defaultConsoleDir(join(root, 'dist', 'src', 'console'))).toBe(join(root, 'web', 'dist'));
  });
});
