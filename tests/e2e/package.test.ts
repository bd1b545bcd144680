import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../support/built-server';
import { ROOT, startServerProcess, type ServerProcess } from '../support/processes';

/**
 * The package as a user gets it: `npm pack`, the tarball installed into an empty project, and
 * the README's typed-client example, type-checked against the shipped declarations and run
 * against a live server. Also the `exports` map (client, server, key-provider entries) from
 * ESM and CommonJS, and the installed `locksmith` bin.
 *
 * The install is offline and without install scripts: the temporary project's lock file is the
 * repository's own, minus dev dependencies, so every tarball comes from npm's cache (filled by
 * `npm ci`) and no native addon is compiled (the client needs none).
 */

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function npm(args: string[], cwd: string): string {
  // Under `npm test`, npm_execpath is npm's own CLI; run the same npm.
  const cli = process.env.npm_execpath;
  const [command, prefix] = cli && /npm-cli\.js$/.test(cli) ? [process.execPath, [cli]] : ['npm', []];
  return execFileSync(command, [...prefix, ...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The README's typed-client example (the ts block that calls createClient). */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('createClient('));
  if (!block) throw new Error('README.md has no ts example calling createClient');
  return block;
}

/** A lock file for `app` -> the tarball whose dependencies are pinned exactly as in our own lock. */
function lockFor(tarball: string, dir: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const root = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { [PACKAGE.name]: `file:${tarball}` } },
    [`node_modules/${PACKAGE.name}`]: {
      version: PACKAGE.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(join(dir, tarball))).digest('base64')}`,
      dependencies: root.dependencies,
      bin: root.bin,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'locksmith-package-'));
  [server] = await Promise.all([startServerProcess(), ensureBuilt()]);
  // prepack would rebuild dist/; ensureBuilt has made it current already.
  npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--silent'], ROOT);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { [PACKAGE.name]: `file:${tarball}` } }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lockFor(tarball, dir)));
  npm(['ci', '--offline', '--ignore-scripts'], dir);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("the README's createClient example type-checks against the shipped types and runs against a server", () => {
  const example = readmeExample().replaceAll('http://127.0.0.1:4000', server.url);
  expect(example).toContain(`from '${PACKAGE.name}'`);
  writeFileSync(join(dir, 'example.mts'), `${example}\nconsole.log(JSON.stringify({ value, names: page.items.map((s) => s.name) }));\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      // No skipLibCheck: the shipped declarations themselves must check (and resolve every
      // import from the package's own dependencies). No DOM lib: it would double the check time.
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        lib: ['es2022'],
        strict: true,
        outDir: 'out',
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['example.mts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  const run = spawnSync(process.execPath, [join(dir, 'out', 'example.mjs')], {
    cwd: dir,
    env: { PATH: process.env.PATH, LOCKSMITH_TOKEN: server.credentials.apiKey },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ value: 'ghp_...', names: ['github_token'] });
}, 60_000);

it('exports the client, the server entry and the key-provider interface, to ESM and CommonJS, and nothing else', () => {
  const probe = `
    const results = {};
    for (const entry of ['', '/server', '/key-provider', '/dist/src/index.js']) {
      try {
        const m = await import('${PACKAGE.name}' + entry);
        results['esm' + entry] = Object.keys(m).filter((k) => ['createClient', 'LocksmithError', 'startServer', 'main', 'KeyProviderError'].includes(k)).sort();
      } catch (error) { results['esm' + entry] = error.code; }
    }
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    results.cjs = typeof require('${PACKAGE.name}').createClient;
    results.cjsServer = typeof require('${PACKAGE.name}/server').startServer;
    console.log(JSON.stringify(results));`;
  writeFileSync(join(dir, 'probe.mjs'), probe);
  const run = spawnSync(process.execPath, ['probe.mjs'], { cwd: dir, env: { PATH: process.env.PATH }, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({
    esm: ['LocksmithError', 'createClient'],
    // Importing the server entry starts nothing (the probe would not exit otherwise).
    'esm/server': ['main', 'startServer'],
    'esm/key-provider': ['KeyProviderError'],
    'esm/dist/src/index.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    cjs: 'function',
    cjsServer: 'function',
  });
});

it('the installed locksmith bin runs the compiled CLI against the server', () => {
  const bin = join(dir, 'node_modules', '.bin', 'locksmith');
  const run = spawnSync(bin, ['secrets', 'get', 'github_token', '--reveal'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('ghp_...');
});
