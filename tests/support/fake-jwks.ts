import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback identity provider: serves a JWKS and signs tokens with the matching private key. */
export interface FakeIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  sign(claims: Record<string, unknown>, options?: { expiresIn?: string | number; issuer?: string; audience?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeIssuer(audience = 'locksmith'): Promise<FakeIssuer> {
  const jose = await import('jose');
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: base,
    jwksUrl: `${base}/.well-known/jwks.json`,
    async sign(claims, options = {}) {
      return new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1' })
        .setIssuedAt()
        .setIssuer(options.issuer ?? base)
        .setAudience(options.audience ?? audience)
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
