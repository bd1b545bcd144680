import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import { hostPatternProblem } from '../tasks/network/host-patterns';

/** Input rules for secrets (docs/api.md, Rules for secrets). Each failure names the offending field. */

export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
export const MAX_NAME_LENGTH = 128;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_METADATA_KEYS = 50;
export const MAX_METADATA_KEY_LENGTH = 128;
export const MAX_METADATA_STRING_LENGTH = 512;
export const MAX_RECOVERY_WINDOW_DAYS = 30;
export const DEFAULT_RECOVERY_WINDOW_DAYS = 7;

export type MetadataValue = string | number | boolean;
export type Metadata = Record<string, MetadataValue>;

export function checkName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(field, `${field} is required`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(field, `${field} must be at most ${MAX_NAME_LENGTH} characters`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(field, `${field} must start with a letter and contain only letters, digits and underscores`);
  }
  return name;
}

/** Returns the UTF-8 bytes of a value. The message never quotes the value. */
export function checkValue(value: unknown, field = 'value'): Buffer {
  if (typeof value !== 'string') throw new ValidationError(field, `${field} must be a string`);
  if (!value.isWellFormed()) throw new ValidationError(field, `${field} must be valid UTF-8 (it has an unpaired surrogate)`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < 1) throw new ValidationError(field, `${field} must not be empty`);
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new ValidationError(field, `${field} must be at most ${MAX_VALUE_BYTES} bytes of UTF-8 (got ${bytes.length})`);
  }
  return bytes;
}

export function checkDescription(description: unknown, field = 'description'): string | null {
  if (description === null || description === undefined) return null;
  if (typeof description !== 'string') throw new ValidationError(field, `${field} must be a string`);
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(field, `${field} must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Control characters in keys would make listings and logs ambiguous.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function checkMetadata(metadata: unknown, field = 'metadata'): Metadata {
  if (metadata === null || metadata === undefined) return {};
  if (!isPlainObject(metadata)) throw new ValidationError(field, `${field} must be an object of string keys to string, number or boolean values`);
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_KEYS) throw new ValidationError(field, `${field} may have at most ${MAX_METADATA_KEYS} keys`);
  const result: Metadata = {};
  for (const [key, value] of entries) {
    const at = `${field}.${key.slice(0, 64)}`;
    if (key.length === 0 || key.length > MAX_METADATA_KEY_LENGTH || CONTROL_CHARS.test(key)) {
      throw new ValidationError(field, `${field} keys must be 1-${MAX_METADATA_KEY_LENGTH} characters without control characters`);
    }
    // MariaDB/MySQL collations are PAD SPACE: "env" and "env " are the same key in the metadata
    // index there but not on SQLite. Refusing edge whitespace keeps both databases identical.
    if (key.trim() !== key) {
      throw new ValidationError(field, `${field} keys must not start or end with whitespace`);
    }
    if (typeof value === 'string') {
      if (value.length > MAX_METADATA_STRING_LENGTH) {
        throw new ValidationError(at, `${at} must be at most ${MAX_METADATA_STRING_LENGTH} characters`);
      }
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ValidationError(at, `${at} must be a finite number`);
    } else if (typeof value !== 'boolean') {
      throw new ValidationError(at, `${at} must be a string, number or boolean (metadata is flat)`);
    }
    result[key] = value;
  }
  return result;
}

/**
 * Index key for one metadata entry: hashing (key, typed value) gives exact, type-aware equality
 * (`"1"` is not `1`) through a short fixed-width index, whatever the value's length.
 */
export function metadataEntryHash(key: string, value: MetadataValue): string {
  return createHash('sha256').update(JSON.stringify([key, value])).digest('hex');
}

export const MAX_ALLOWED_HOSTS = 50;

/** Host names or `*.example.com` patterns, lower-cased and de-duplicated; null or [] unbinds. */
export function checkAllowedHosts(hosts: unknown, field = 'allowedHosts'): string[] {
  if (hosts === null || hosts === undefined) return [];
  if (!Array.isArray(hosts)) throw new ValidationError(field, `${field} must be a list of host names`);
  if (hosts.length > MAX_ALLOWED_HOSTS) throw new ValidationError(field, `${field} may list at most ${MAX_ALLOWED_HOSTS} hosts`);
  const result: string[] = [];
  for (const host of hosts) {
    if (typeof host !== 'string') throw new ValidationError(field, `${field} must be a list of host names`);
    const h = host.trim().toLowerCase().replace(/\.$/, '');
    const problem = hostPatternProblem(h);
    if (problem !== null) throw new ValidationError(field, `${field}: '${host.slice(0, 253)}' ${problem}`);
    if (!result.includes(h)) result.push(h);
  }
  return result;
}

export function checkOptionalInt(value: unknown, field: string, min: number, max: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
