import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, readConfig, resolveConnection, writeConfig } from '../../../src/cli/config';
import { EXIT, exitCodeFor, UsageError } from '../../../src/cli/exit-codes';
import { parseMetadata } from '../../../src/cli/input';
import { LocksmithError } from '../../../src/client/errors';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'locksmith-cli-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config file', () => {
  it('lives at LOCKSMITH_CONFIG, else XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ LOCKSMITH_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/xdg/locksmith/config.json');
    expect(configPath({ XDG_CONFIG_HOME: '', HOME: '/h' })).toBe('/h/.config/locksmith/config.json');
  });

  it('is written with mode 0600 even over a looser existing file, and warns when found loose', () => {
    const path = join(dir, 'sub', 'config.json');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(path, '{}', { mode: 0o644 });
    writeConfig(path, { url: 'http://h', token: 't' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: 'http://h', token: 't' });

    chmodSync(path, 0o644);
    const warnings: string[] = [];
    expect(readConfig(path, (m) => warnings.push(m))).toEqual({ url: 'http://h', token: 't' });
    expect(warnings[0]).toMatch(/readable by other users/);
    writeFileSync(path, 'not json');
    expect(() => readConfig(path, () => {})).toThrow(/not valid JSON/);
  });
});

describe('resolveConnection', () => {
  const stored = { url: 'http://saved:4000', token: 'lsk_saved' };

  it('takes flags over env over the config file', () => {
    const env = { LOCKSMITH_URL: 'http://saved:4000', LOCKSMITH_TOKEN: 'lsk_env' };
    expect(resolveConnection({ token: 'lsk_flag' }, env, stored, dir)).toEqual({ url: 'http://saved:4000', token: 'lsk_flag', tokenSource: 'flag' });
    expect(resolveConnection({}, env, stored, dir)).toMatchObject({ token: 'lsk_env', tokenSource: 'env' });
    expect(resolveConnection({}, {}, stored, dir)).toEqual({ url: 'http://saved:4000', token: 'lsk_saved', tokenSource: 'config' });
    expect(resolveConnection({ url: 'http://flag' }, { LOCKSMITH_URL: 'http://env' }, stored, dir).url).toBe('http://flag');
    expect(resolveConnection({}, {}, {}, dir)).toEqual({ url: 'http://127.0.0.1:4000', token: undefined, tokenSource: 'none' });
  });

  it('sends the saved token only to the saved server', () => {
    expect(resolveConnection({ url: 'http://saved:4000/graphql' }, {}, stored, dir).tokenSource).toBe('config');
    expect(resolveConnection({ url: 'https://evil.example' }, {}, stored, dir)).toMatchObject({ token: undefined, tokenSource: 'none' });
  });

  it('falls back to ./.locksmith/dev-credentials.json only for loopback URLs', () => {
    mkdirSync(join(dir, '.locksmith'));
    writeFileSync(join(dir, '.locksmith', 'dev-credentials.json'), JSON.stringify({ adminToken: 'lsa_x', apiKey: 'lsk_dev' }));
    expect(resolveConnection({}, {}, {}, dir)).toMatchObject({ token: 'lsk_dev', tokenSource: 'dev-credentials' });
    expect(resolveConnection({ url: 'http://example.com' }, {}, {}, dir).tokenSource).toBe('none');
  });
});

describe('CLI helpers', () => {
  it('maps error codes to documented exit codes', () => {
    const code = (c: string) => exitCodeFor(new LocksmithError(c, 'm'));
    expect([code('VALIDATION_FAILED'), code('NOT_FOUND'), code('NAME_TAKEN'), code('VERSION_CONFLICT')]).toEqual([2, 3, 4, 4]);
    expect([code('UNAUTHENTICATED'), code('FORBIDDEN'), code('UNAVAILABLE'), code('KEY_SERVICE_UNAVAILABLE')]).toEqual([5, 5, 6, 6]);
    expect([code('INTERNAL_SERVER_ERROR'), exitCodeFor(new Error('x')), exitCodeFor(new UsageError('u'))]).toEqual([1, 1, EXIT.USAGE]);
  });

  it('parses metadata: key=value strings, key:=number|boolean', () => {
    expect(parseMetadata(['env=prod', 'url=a=b', 'n:=3', 'on:=true'])).toEqual({ env: 'prod', url: 'a=b', n: 3, on: true });
    expect(parseMetadata([])).toBeUndefined();
    expect(() => parseMetadata(['n:=abc'])).toThrow(UsageError);
    expect(() => parseMetadata(['=x'])).toThrow(UsageError);
  });
});
