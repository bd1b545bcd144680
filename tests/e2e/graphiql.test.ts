import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from '../support/processes';

const CHROMIUM = process.env.LOCKSMITH_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT_DIR = join(__dirname, '..', '..', 'test-output');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // Said loudly, not skipped silently: .ci/run installs Chromium, so this only happens locally.
  console.warn(`GraphiQL browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

(haveChromium ? describe : describe.skip)('GraphiQL in a real browser (development mode)', () => {
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'locksmith-graphiql-'));
    server = await startServerProcess({ dataDir });
    const created = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.credentials.apiKey}` },
      body: JSON.stringify({
        query: 'mutation { createSecret(input: { name: "browser_visible_secret", value: "never-shown-in-browser" }) { __typename } }',
      }),
    });
    expect((await created.json()).data.createSecret.__typename).toBe('CreateSecretPayload');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads offline, has the API key header ready, and runs a query', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on('request', (request) => {
        if (!/^(data:|blob:)/.test(request.url()) && !request.url().startsWith(server.url)) external.push(request.url());
      });
      const query = '{ secrets(first: 10) { edges { node { name version } } } }';
      await page.goto(`${server.url}/graphql?query=${encodeURIComponent(query)}`);
      await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
      await page.locator('.result-window').getByText('browser_visible_secret').waitFor({ timeout: 20_000 });
      // The query only succeeds because GraphiQL sent the pre-filled Authorization header.
      const result = (await page.locator('.result-window').innerText()).replace(/\s+/g, ' ');
      expect(result).toContain('"name": "browser_visible_secret"');
      expect(result).not.toContain('UNAUTHENTICATED');
      expect(result).not.toContain('never-shown-in-browser');
      expect(external).toEqual([]);
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, 'graphiql.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
