/**
 * A loopback fake of AWS KMS speaking the real wire protocol (AWS JSON 1.1: `POST /`,
 * `X-Amz-Target: TrentService.<Op>`, base64 blobs, `{"__type": ..., "message": ...}` errors), so
 * the aws-kms plugin is tested through the unmodified @aws-sdk/client-kms, retries, timeouts and
 * error parsing included.
 *
 * It really encrypts: AES-256-GCM under per-key material, with the EncryptionContext and the blob
 * header as associated data. The blob names its key (and key-material version), so Decrypt works
 * without KeyId, as in KMS. Several keys, aliases, key-material rotation, disabled keys and
 * fault injection (latency, 5xx, throttling, arbitrary errors, dropped connections).
 *
 * SigV4 is not verified, but an Authorization header is required and its access key id recorded
 * (and optionally checked against an allow-list).
 *
 *   const kms = await startFakeKms();
 *   const { arn } = kms.createKey({ alias: 'alias/locksmith' });
 *   env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
 *   ...
 *   await kms.close();
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultSwitch, RequestCounter } from './fault-switch';
import { createLoopbackServer } from './loopback-server';

export type KmsOperation =
  | 'GenerateDataKey'
  | 'Encrypt'
  | 'Decrypt'
  | 'ReEncrypt'
  | 'DescribeKey'
  | 'CreateKey'
  | 'CreateAlias'
  | 'UpdateAlias'
  | 'EnableKey'
  | 'DisableKey'
  | 'RotateKeyOnDemand';

export interface FakeKmsOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** When set, other access key ids get UnrecognizedClientException. */
  readonly allowedAccessKeyIds?: readonly string[];
}

export interface FakeKmsKeyInfo {
  readonly keyId: string;
  readonly arn: string;
}

export type FakeKmsKeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

interface FakeKey {
  readonly keyId: string;
  readonly arn: string;
  readonly description: string;
  readonly createdAt: Date;
  state: FakeKmsKeyState;
  /** Key material versions; the last one encrypts, all decrypt (KMS automatic rotation). */
  readonly materials: Buffer[];
}

export interface FakeKmsRequest {
  readonly operation: string;
  readonly body: Record<string, unknown>;
  readonly accessKeyId: string | undefined;
}

export interface FakeKmsServer {
  /** `http://127.0.0.1:<port>`: the value for AWS_ENDPOINT_URL_KMS. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Every request received, in order (tests assert on parameters, e.g. Decrypt's KeyId). */
  readonly requests: FakeKmsRequest[];

  createKey(options?: { alias?: string; description?: string }): FakeKmsKeyInfo;
  /** Creates or re-points an alias (`alias/...`). */
  setAlias(alias: string, keyIdOrArn: string): void;
  /** KMS automatic rotation: new key material under the same key id/ARN. */
  rotateKeyMaterial(keyIdOrArn: string): void;
  setKeyState(keyIdOrArn: string, state: FakeKmsKeyState): void;
  describe(keyIdOrAlias: string): FakeKmsKeyInfo;

  /** Per-operation request counts (requests that reached the server, faults included). */
  count(operation?: KmsOperation): number;
  resetCounters(): void;

  /** Added to every response; requests beyond a client's timeout see a timeout. */
  latencyMs: number;
  /** Next `count` matching requests get an HTTP 5xx `KMSInternalException` (or `status`/`type`). */
  failNext(count: number, options?: { operations?: KmsOperation[]; status?: number; type?: string }): void;
  /** Next `count` matching requests get a 400 ThrottlingException (the SDK retries these). */
  throttleNext(count: number, operations?: KmsOperation[]): void;
  /** Next `count` matching requests get this AWS error, e.g. ('AccessDeniedException'). */
  errorNext(count: number, type: string, options?: { operations?: KmsOperation[]; status?: number; message?: string }): void;
  /** Next Decrypt/ReEncrypt calls answer IncorrectKeyException. */
  wrongKeyNext(count: number): void;
  /** Next Decrypt/ReEncrypt calls answer InvalidCiphertextException. */
  unknownCiphertextNext(count: number): void;
  /** Next `count` matching requests: the connection is destroyed without an answer. */
  dropNext(count: number, operations?: KmsOperation[]): void;
  clearFaults(): void;

  /** Stops listening (connections refused) but keeps all keys; `start()` listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const MAGIC = Buffer.from('FKM1', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function canonicalContext(context: unknown): Buffer {
  if (context === undefined || context === null) return Buffer.alloc(0);
  if (typeof context !== 'object' || Array.isArray(context)) throw new KmsError('ValidationException', 'EncryptionContext must be a map');
  const entries = Object.entries(context as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function blobArg(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || value.length === 0) {
    throw new KmsError('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint`);
  }
  return Buffer.from(value, 'base64');
}

export async function startFakeKms(options: FakeKmsOptions = {}): Promise<FakeKmsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const keys = new Map<string, FakeKey>();
  const aliases = new Map<string, string>();
  const counts = new RequestCounter<string>();
  const requests: FakeKmsRequest[] = [];
  const faults = new FaultSwitch<string, { status: number; type: string; message: string }>();

  const arnPrefix = `arn:aws:kms:${region}:${accountId}:`;

  function findKey(id: unknown): FakeKey {
    if (typeof id !== 'string' || id === '') throw new KmsError('ValidationException', 'KeyId is required');
    let keyId = id;
    if (id.startsWith(arnPrefix)) keyId = id.slice(arnPrefix.length);
    else if (id.startsWith('arn:')) throw new KmsError('NotFoundException', `Invalid arn ${id}`);
    if (keyId.startsWith('alias/')) {
      const target = aliases.get(keyId);
      if (!target) throw new KmsError('NotFoundException', `Alias ${arnPrefix}${keyId} is not found.`);
      keyId = target;
    } else if (keyId.startsWith('key/')) {
      keyId = keyId.slice('key/'.length);
    }
    const key = keys.get(keyId);
    if (!key) throw new KmsError('NotFoundException', `Key '${arnPrefix}key/${keyId}' does not exist`);
    return key;
  }

  function usable(key: FakeKey): FakeKey {
    if (key.state === 'Disabled') throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion') throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    return key;
  }

  function seal(key: FakeKey, plaintext: Buffer, context: unknown): Buffer {
    const id = Buffer.from(key.keyId, 'utf8');
    const version = Buffer.alloc(2);
    version.writeUInt16BE(key.materials.length - 1);
    const header = Buffer.concat([MAGIC, Buffer.from([id.length]), id, version]);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.materials[key.materials.length - 1]!, nonce);
    cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
  }

  function open(blob: Buffer, context: unknown, expectedKeyId: unknown): { key: FakeKey; plaintext: Buffer } {
    const invalid = (): KmsError => new KmsError('InvalidCiphertextException', '');
    if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid();
    const idLength = blob[MAGIC.length]!;
    const headerLength = MAGIC.length + 1 + idLength + 2;
    if (blob.length < headerLength + NONCE_BYTES + TAG_BYTES) throw invalid();
    const keyId = blob.subarray(MAGIC.length + 1, MAGIC.length + 1 + idLength).toString('utf8');
    const key = keys.get(keyId);
    if (!key) throw invalid();
    if (expectedKeyId !== undefined && expectedKeyId !== null) {
      const expected = findKey(expectedKeyId);
      if (expected.keyId !== key.keyId) {
        throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
      }
    }
    usable(key);
    const material = key.materials[blob.readUInt16BE(headerLength - 2)];
    if (!material) throw invalid();
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(headerLength, headerLength + NONCE_BYTES));
      decipher.setAAD(Buffer.concat([blob.subarray(0, headerLength), canonicalContext(context)]));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(headerLength + NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
      return { key, plaintext };
    } catch {
      throw invalid();
    }
  }

  function metadata(key: FakeKey): Record<string, unknown> {
    return {
      AWSAccountId: accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.createdAt.getTime() / 1000,
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: key.state,
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }

  function createKey(opts: { alias?: string; description?: string } = {}): FakeKmsKeyInfo {
    const keyId = randomUUID();
    const key: FakeKey = {
      keyId,
      arn: `${arnPrefix}key/${keyId}`,
      description: opts.description ?? '',
      createdAt: new Date(),
      state: 'Enabled',
      materials: [randomBytes(32)],
    };
    keys.set(keyId, key);
    if (opts.alias) setAlias(opts.alias, keyId);
    return { keyId, arn: key.arn };
  }

  function setAlias(alias: string, keyIdOrArn: string): void {
    if (!alias.startsWith('alias/')) throw new Error(`alias must start with alias/: ${alias}`);
    aliases.set(alias, findKey(keyIdOrArn).keyId);
  }

  const handlers: Record<KmsOperation, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(body) {
      const key = usable(findKey(body.KeyId));
      const length =
        body.KeySpec === 'AES_256' ? 32 : body.KeySpec === 'AES_128' ? 16 : typeof body.NumberOfBytes === 'number' ? body.NumberOfBytes : 0;
      if (length < 1 || length > 1024) throw new KmsError('ValidationException', 'Specify KeySpec or NumberOfBytes');
      const plaintext = randomBytes(length);
      return {
        KeyId: key.arn,
        CiphertextBlob: seal(key, plaintext, body.EncryptionContext).toString('base64'),
        Plaintext: plaintext.toString('base64'),
      };
    },
    Encrypt(body) {
      const key = usable(findKey(body.KeyId));
      const plaintext = blobArg(body.Plaintext, 'plaintext');
      if (plaintext.length > 4096) throw new KmsError('ValidationException', 'Plaintext too long');
      return {
        KeyId: key.arn,
        CiphertextBlob: seal(key, plaintext, body.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt(body) {
      const { key, plaintext } = open(blobArg(body.CiphertextBlob, 'ciphertextBlob'), body.EncryptionContext, body.KeyId);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    ReEncrypt(body) {
      const source = open(blobArg(body.CiphertextBlob, 'ciphertextBlob'), body.SourceEncryptionContext, body.SourceKeyId);
      const destination = usable(findKey(body.DestinationKeyId));
      return {
        CiphertextBlob: seal(destination, source.plaintext, body.DestinationEncryptionContext).toString('base64'),
        SourceKeyId: source.key.arn,
        KeyId: destination.arn,
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    DescribeKey(body) {
      return { KeyMetadata: metadata(findKey(body.KeyId)) };
    },
    CreateKey(body) {
      const { keyId } = createKey({ description: typeof body.Description === 'string' ? body.Description : '' });
      return { KeyMetadata: metadata(keys.get(keyId)!) };
    },
    CreateAlias(body) {
      if (typeof body.AliasName !== 'string') throw new KmsError('ValidationException', 'AliasName is required');
      if (aliases.has(body.AliasName)) throw new KmsError('AlreadyExistsException', `An alias with the name ${arnPrefix}${body.AliasName} already exists`);
      setAlias(body.AliasName, String(body.TargetKeyId));
      return {};
    },
    UpdateAlias(body) {
      if (typeof body.AliasName !== 'string' || !aliases.has(body.AliasName)) {
        throw new KmsError('NotFoundException', `Alias ${arnPrefix}${String(body.AliasName)} is not found.`);
      }
      setAlias(body.AliasName, String(body.TargetKeyId));
      return {};
    },
    EnableKey(body) {
      findKey(body.KeyId).state = 'Enabled';
      return {};
    },
    DisableKey(body) {
      findKey(body.KeyId).state = 'Disabled';
      return {};
    },
    RotateKeyOnDemand(body) {
      const key = usable(findKey(body.KeyId));
      key.materials.push(randomBytes(32));
      return { KeyId: key.keyId };
    },
  };

  function respond(res: ServerResponse, status: number, payload: unknown): void {
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(payload));
    };
    loopback.later(server.latencyMs, send);
  }

  function respondError(res: ServerResponse, error: KmsError): void {
    respond(res, error.status, { __type: error.type, message: error.message });
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
    counts.record(operation);
    const authorization = String(req.headers.authorization ?? '');
    const accessKeyId = /Credential=([^/]+)\//.exec(authorization)?.[1];
    let body: Record<string, unknown> = {};
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      respondError(res, new KmsError('SerializationException', 'Malformed JSON'));
      return;
    }
    requests.push({ operation, body, accessKeyId });

    const fault = faults.take(operation);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      respondError(res, new KmsError(fault.type, fault.message, fault.status));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/') {
      respondError(res, new KmsError('UnknownOperationException', '', 404));
      return;
    }
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !accessKeyId) {
      respondError(res, new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token'));
      return;
    }
    if (options.allowedAccessKeyIds && !options.allowedAccessKeyIds.includes(accessKeyId)) {
      respondError(res, new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.'));
      return;
    }
    const handler = (handlers as Record<string, ((b: Record<string, unknown>) => Record<string, unknown>) | undefined>)[operation];
    if (!handler) {
      respondError(res, new KmsError('UnknownOperationException', ''));
      return;
    }
    try {
      respond(res, 200, handler(body));
    } catch (error) {
      if (error instanceof KmsError) respondError(res, error);
      else respondError(res, new KmsError('KMSInternalException', 'internal error in fake', 500));
    }
  }

  const loopback = createLoopbackServer(handle);

  const server: FakeKmsServer = {
    get endpoint() {
      return loopback.url;
    },
    region,
    accountId,
    requests,
    createKey,
    setAlias,
    rotateKeyMaterial(id) {
      findKey(id).materials.push(randomBytes(32));
    },
    setKeyState(id, state) {
      findKey(id).state = state;
    },
    describe(id) {
      const key = findKey(id);
      return { keyId: key.keyId, arn: key.arn };
    },
    count: (operation) => counts.count(operation),
    resetCounters() {
      counts.reset();
      requests.length = 0;
    },
    latencyMs: 0,
    failNext(count, opts = {}) {
      const status = opts.status ?? 500;
      const type = opts.type ?? (status === 503 ? 'ServiceUnavailableException' : 'KMSInternalException');
      faults.add(count, opts.operations, { kind: 'error', status, type, message: 'injected failure' });
    },
    throttleNext(count, operations) {
      faults.add(count, operations, { kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    },
    errorNext(count, type, opts = {}) {
      faults.add(count, opts.operations, { kind: 'error', status: opts.status ?? 400, type, message: opts.message ?? 'injected error' });
    },
    wrongKeyNext(count) {
      server.errorNext(count, 'IncorrectKeyException', {
        operations: ['Decrypt', 'ReEncrypt'],
        message: 'The key ID in the request does not identify a KMS key that can perform this operation.',
      });
    },
    unknownCiphertextNext(count) {
      server.errorNext(count, 'InvalidCiphertextException', { operations: ['Decrypt', 'ReEncrypt'], message: '' });
    },
    dropNext(count, operations) {
      faults.add(count, operations, { kind: 'drop' });
    },
    clearFaults() {
      faults.clear();
      server.latencyMs = 0;
    },
    stop: loopback.stop,
    start: loopback.start,
    close: loopback.stop,
  };

  await loopback.start();
  return server;
}
