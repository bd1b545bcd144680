import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/** API keys, developers, login/logout and where the CLI finds its URL and token. */

let server: ServerProcess;
/** No URL or token in the environment: each test says where they come from. */
let cli: CliSandbox;

beforeAll(async () => {
  server = await startServerProcess({ env: { LOCKSMITH_GRAPHIQL: 'false' } });
  cli = new CliSandbox();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

const json = <T = any>(stdout: string): T => JSON.parse(stdout) as T;
const asDeveloper = () => ({ env: { LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey } });

describe('api-keys', () => {
  it('creates a scoped key whose token works once, lists keys without tokens, and revokes', async () => {
    const created = await cli.run(['api-keys', 'create', '--name', 'ci-reader', '--scope', 'secrets:read', '--json'], asDeveloper());
    expect(created.code).toBe(0);
    const issued = json<{ token: string; apiKey: { id: string; scopes: string[] } }>(created.stdout);
    expect(issued.token).toMatch(/^lsk_/);
    expect(issued.apiKey.scopes).toEqual(['secrets:read']);
    const reader = { env: { LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: issued.token } };

    const [list, listJson, read, write] = await Promise.all([
      cli.run(['api-keys', 'list'], asDeveloper()),
      cli.run(['api-keys', 'list', '--json'], asDeveloper()),
      cli.run(['secrets', 'list', '--json'], reader),
      cli.run(['secrets', 'create', 'nope', '--value', 'v'], reader),
    ]);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+STATUS\s+SCOPES/);
    expect(list.stdout).toMatch(new RegExp(`^${issued.apiKey.id}\\s+ci-reader\\s+lsk_\\S+\\s+active\\s+secrets:read\\s`, 'm'));
    expect(list.stdout + listJson.stdout).not.toContain(issued.token);
    expect(json<Array<{ name: string }>>(listJson.stdout).map((k) => k.name)).toEqual(['ci-reader', 'default']);
    expect(read).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(write.code).toBe(5);
    expect(write.stderr).toMatch(/^locksmith: this API key lacks the scope this needs \(secrets:write\)/);

    const revoked = await cli.run(['api-keys', 'revoke', issued.apiKey.id], asDeveloper());
    expect(revoked).toEqual({ code: 0, stdout: `revoked API key ${issued.apiKey.id} (ci-reader)\n`, stderr: '' });
    const [afterRevoke, unknown] = await Promise.all([
      cli.run(['secrets', 'list'], reader),
      cli.run(['api-keys', 'revoke', 'no-such-key'], asDeveloper()),
    ]);
    expect(afterRevoke.code).toBe(5);
    expect(unknown.code).toBe(3);
  });

  it('prints the token in human mode with a warning on stderr', async () => {
    const created = await cli.run(['api-keys', 'create', '--name', 'human', '--expires-at', '30d'], asDeveloper());
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^token\s+lsk_\S+$/m);
    expect(created.stdout).toMatch(/^expires\s+\d{4}-\d\d-\d\dT/m);
    expect(created.stderr).toBe('locksmith: store the token now: it cannot be shown again\n');
  });
});

describe('developers', () => {
  it('creates a developer with the admin token; its key works; other tokens get 5', async () => {
    const admin = { env: { LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.adminToken } };
    const [created, byDeveloper, adminMe] = await Promise.all([
      cli.run(['developers', 'create', 'acme', '--json'], admin),
      cli.run(['developers', 'create', 'evil'], asDeveloper()),
      cli.run(['me'], admin),
    ]);
    expect(created.code).toBe(0);
    const { developer, apiKey } = json<{ developer: { id: string; name: string }; apiKey: { token: string } }>(created.stdout);
    expect(developer.name).toBe('acme');
    expect(byDeveloper.code).toBe(5);
    expect(adminMe).toMatchObject({ code: 5, stderr: 'locksmith: the admin token can only manage developers; use a developer API key\n' });

    const me = await cli.run(['whoami', '--json'], { env: { LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: apiKey.token } });
    expect(json(me.stdout)).toMatchObject({ id: developer.id, name: 'acme', url: server.url, tokenSource: 'env' });
  });
});

describe('login, logout and connection precedence', () => {
  const configFile = () => join(cli.xdgConfigHome, 'locksmith', 'config.json');

  it('login checks the token (from stdin) and saves url + token with mode 0600 under XDG_CONFIG_HOME', async () => {
    const wrong = await cli.run(['login', '--url', server.url], { input: 'lsk_wrong\n' });
    expect(wrong.code).toBe(5);
    expect(existsSync(configFile())).toBe(false);

    const login = await cli.run(['login', '--url', server.url], { input: `${server.credentials.apiKey}\n` });
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`logged in to ${server.url} as developer default (${json(readFileSync(join(server.dataDir, 'dev-credentials.json'), 'utf8')).developerId}); saved to ${configFile()}\n`);
    expect(login.stdout + login.stderr).not.toContain(server.credentials.apiKey);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(json(readFileSync(configFile(), 'utf8'))).toEqual({ url: server.url, token: server.credentials.apiKey });

    const me = await cli.run(['me']);
    expect(me.code).toBe(0);
    expect(me.stdout).toMatch(/^token from\s+config$/m);
  });

  it('flags beat the environment, which beats the config file', async () => {
    const [envWins, flagWins, urlFlagWins] = await Promise.all([
      cli.run(['me'], { env: { LOCKSMITH_TOKEN: 'lsk_wrong_env' } }),
      cli.run(['me', '--token', server.credentials.apiKey, '--json'], { env: { LOCKSMITH_TOKEN: 'lsk_wrong_env' } }),
      cli.run(['me', '--url', 'http://127.0.0.1:9'], { env: { LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey } }),
    ]);
    expect(envWins.code).toBe(5);
    expect(json(flagWins.stdout)).toMatchObject({ tokenSource: 'flag' });
    expect(urlFlagWins.code).toBe(6);
  });

  it('sends the saved token only to the saved URL', async () => {
    const otherUrl = server.url.replace('127.0.0.1', 'localhost');
    const result = await cli.run(['me', '--url', otherUrl]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`no token for ${otherUrl}: run \`locksmith login\``);
  });

  it('LOCKSMITH_CONFIG overrides the path; logout removes the token but keeps the URL', async () => {
    const custom = join(cli.home, 'elsewhere', 'locksmith.json');
    const login = await cli.run(['login', '--url', server.url, '--token', server.credentials.adminToken], { env: { LOCKSMITH_CONFIG: custom } });
    expect(login.stdout).toContain('as admin token');
    expect(statSync(custom).mode & 0o777).toBe(0o600);

    expect((await cli.run(['logout'])).code).toBe(0);
    expect(json(readFileSync(configFile(), 'utf8'))).toEqual({ url: server.url });
    const me = await cli.run(['me']);
    expect(me.code).toBe(5);
    expect(json(readFileSync(custom, 'utf8'))).toEqual({ url: server.url, token: server.credentials.adminToken });
  });

  it('falls back to the dev server credentials for a loopback URL when no token is configured', async () => {
    const me = await cli.run(['me', '--json', '--url', server.url], { env: { LOCKSMITH_DATA_DIR: server.dataDir } });
    expect(json(me.stdout)).toMatchObject({ name: 'default', tokenSource: 'dev-credentials' });
  });
});
