import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { CliSandbox, runServerToExit, startServerProcess, type ServerProcess } from '../support/processes';

/**
 * Native TLS (LOCKSMITH_TLS_CERT / LOCKSMITH_TLS_KEY): a real server process with a certificate
 * made here by openssl, reached by clients that trust it (node's https with `ca`, and the CLI
 * through NODE_EXTRA_CA_CERTS) and refused by one that does not; a SIGHUP (no terminal) serves
 * a renewed certificate without a restart. Bad files stop start-up with one line per variable.
 */

let dir: string;

/** A self-signed P-256 certificate for 127.0.0.1, written as <name>.crt / <name>.key. */
function certificate(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** GET url with `ca` trusted: status and the fingerprint of the certificate the server presented. */
function get(url: string, ca: Buffer): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

const fingerprintOf = (path: string) => new X509Certificate(readFileSync(path)).fingerprint256;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'locksmith-tls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS server', () => {
  let server: ServerProcess;
  let served: { cert: string; key: string };
  beforeAll(async () => {
    const first = certificate('first');
    // The server reads the paths it was given; renewal overwrites them in place.
    served = { cert: join(dir, 'served.crt'), key: join(dir, 'served.key') };
    copyFileSync(first.cert, served.cert);
    copyFileSync(first.key, served.key);
    server = await startServerProcess({ env: { LOCKSMITH_TLS_CERT: served.cert, LOCKSMITH_TLS_KEY: served.key } });
  });
  afterAll(() => server?.stop());

  it('serves HTTPS to a client that trusts the certificate, and nothing to one that does not', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(served.cert);
    expect(await get(`${server.url}/healthz`, ca)).toEqual({ status: 200, fingerprint: fingerprintOf(served.cert) });
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow(); // not trusted: self-signed
    await expect(fetch(`${server.url.replace('https:', 'http:')}/healthz`)).rejects.toThrow(); // no plain HTTP on the port
  });

  it('the CLI (the typed client over fetch) works with the certificate in NODE_EXTRA_CA_CERTS', async () => {
    const cli = new CliSandbox({ LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey, NODE_EXTRA_CA_CERTS: served.cert });
    try {
      const created = await cli.run(['secrets', 'create', '--name', 'over_tls', '--value', '-'], { input: 's3cret-over-tls' });
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const revealed = await cli.run(['secrets', 'get', 'over_tls', '--reveal']);
      expect(revealed.stdout).toContain('s3cret-over-tls');
    } finally {
      cli.remove();
    }
  });

  it('SIGHUP (no terminal) serves a renewed certificate to new connections without a restart', async () => {
    const renewed = certificate('renewed');
    copyFileSync(renewed.cert, served.cert);
    copyFileSync(renewed.key, served.key);
    process.kill(server.pid, 'SIGHUP');
    const ca = readFileSync(served.cert);
    let seen = '';
    for (let i = 0; i < 100 && seen !== fingerprintOf(renewed.cert); i++) {
      seen = await get(`${server.url}/healthz`, ca).then(
        (r) => r.fingerprint,
        () => '',
      );
      if (seen !== fingerprintOf(renewed.cert)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(fingerprintOf(renewed.cert));
    expect(server.output()).toContain('TLS certificate reloaded');
  });
});

describe('LOCKSMITH_TLS_CERT / LOCKSMITH_TLS_KEY validation (one line naming the variable; the server exits 78 on it)', () => {
  it.each([
    ['a certificate without a key', () => ({ LOCKSMITH_TLS_CERT: certificate('lone').cert }), /^invalid configuration: LOCKSMITH_TLS_KEY is not set: LOCKSMITH_TLS_CERT and LOCKSMITH_TLS_KEY go together/],
    ['a missing certificate file', () => ({ LOCKSMITH_TLS_CERT: join(dir, 'absent.crt'), LOCKSMITH_TLS_KEY: certificate('k').key }), /^invalid configuration: LOCKSMITH_TLS_CERT: cannot read .*absent\.crt \(ENOENT\)/],
    ['a file that is not a certificate', () => ({ LOCKSMITH_TLS_CERT: certificate('c').key, LOCKSMITH_TLS_KEY: certificate('c2').key }), /^invalid configuration: LOCKSMITH_TLS_CERT: .* is not a PEM certificate/],
    ['a key that is not a key', () => {
      const { cert } = certificate('nk');
      return { LOCKSMITH_TLS_CERT: cert, LOCKSMITH_TLS_KEY: cert };
    }, /^invalid configuration: LOCKSMITH_TLS_KEY: .* is not an unencrypted PEM private key/],
    ['a key of another certificate', () => ({ LOCKSMITH_TLS_CERT: certificate('one').cert, LOCKSMITH_TLS_KEY: certificate('two').key }), /^invalid configuration: LOCKSMITH_TLS_KEY: .*two\.key is not the private key of the certificate in LOCKSMITH_TLS_CERT/],
  ])('%s', (_name, env, message) => {
    let error: Error | undefined;
    try {
      loadConfig(env());
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(error?.message).not.toContain('PRIVATE KEY'); // no file content, a key's least of all
  });

  it('the server process exits 78 with that line', async () => {
    writeFileSync(join(dir, 'empty.key'), '');
    const data = mkdtempSync(join(dir, 'data-'));
    const result = await runServerToExit(data, { LOCKSMITH_TLS_CERT: certificate('exit').cert, LOCKSMITH_TLS_KEY: join(dir, 'empty.key') });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^locksmith: invalid configuration: LOCKSMITH_TLS_KEY: .*empty\.key is not an unencrypted PEM private key.*\n$/);
    expect(result.stdout).toBe('');
  });
});
