import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Native TLS (LOCKSMITH_TLS_CERT / LOCKSMITH_TLS_KEY, PEM file paths): the files are read and
 * checked together at start-up, and again on reload (SIGHUP without a terminal), so a renewed
 * certificate is served without a restart. A reverse proxy remains the recommended front
 * (docs/operations.md); this is for installs that have none.
 */

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

export interface TlsCredentials extends TlsFiles {
  /** The certificate chain, leaf first. */
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A TLS file problem, with the variable it concerns (the message names it too). */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
  constructor(
    readonly variable: 'LOCKSMITH_TLS_CERT' | 'LOCKSMITH_TLS_KEY',
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

function read(variable: TlsFileError['variable'], path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new TlsFileError(variable, `cannot read ${path} (${code}): check the path and that this user may read it`);
  }
}

/** Reads both files and checks they are a PEM certificate and the unencrypted PEM private key that matches it. */
export function loadTlsCredentials(files: TlsFiles): TlsCredentials {
  const cert = read('LOCKSMITH_TLS_CERT', files.certPath);
  const key = read('LOCKSMITH_TLS_KEY', files.keyPath);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new TlsFileError('LOCKSMITH_TLS_CERT', `${files.certPath} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFileError('LOCKSMITH_TLS_KEY', `${files.keyPath} is not an unencrypted PEM private key (a key with a passphrase is not supported)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFileError('LOCKSMITH_TLS_KEY', `${files.keyPath} is not the private key of the certificate in LOCKSMITH_TLS_CERT (${files.certPath})`);
  }
  return { ...files, cert, key };
}
