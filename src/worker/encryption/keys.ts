/**
 * Key handling for encryption at rest, all WebCrypto. A random 256-bit data
 * key encrypts the database; the passphrase only wraps it. The key record
 * (salt, iterations, wrapped key: never the passphrase) sits beside the
 * database, so changing the passphrase re-wraps 32 bytes instead of
 * rewriting the file. The same record travels inside encrypted exports.
 */
import { fail } from '../../shared/errors';

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
export const PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const DATA_KEY_BYTES = 32;
export const WRONG_PASSPHRASE = 'encryption: wrong passphrase (nothing was changed)';

export interface KeyRecord {
  format: 'mnemo.key';
  version: 1;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  /** base64 */
  salt: string;
  /** base64 AES-256-GCM nonce of the wrapping */
  iv: string;
  /** base64 AES-256-GCM(key derived from the passphrase, data key) */
  wrappedKey: string;
  /** The database cipher (SQLite3 Multiple Ciphers). */
  cipher: 'chacha20';
}

const MAX_PASSPHRASE_CHARS = 1024;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Validates a passphrase argument without ever echoing it. */
export function checkPassphrase(value: unknown, context: string, field = 'passphrase'): string {
  // A lone surrogate would be encoded as U+FFFD, so two different passphrases would give one key.
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PASSPHRASE_CHARS || LONE_SURROGATE.test(value)) {
    fail('INVALID_INPUT', `${context}: argument '${field}' must be well-formed text of 1-${MAX_PASSPHRASE_CHARS} characters`);
  }
  return value;
}

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** A copy whose buffer is a plain ArrayBuffer, as WebCrypto's typings want. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

async function deriveWrappingKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function wrap(dataKey: Uint8Array, passphrase: string, iterations: number): Promise<KeyRecord> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const kek = await deriveWrappingKey(passphrase, salt, iterations);
  const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, kek, buf(dataKey)));
  return { format: 'mnemo.key', version: 1, kdf: 'PBKDF2-SHA256', iterations, salt: toBase64(salt), iv: toBase64(iv), wrappedKey: toBase64(wrapped), cipher: 'chacha20' };
}

/** A new random data key and its record wrapped under `passphrase`. */
export async function createKey(passphrase: string, iterations = PBKDF2_ITERATIONS): Promise<{ record: KeyRecord; dataKey: Uint8Array }> {
  const dataKey = crypto.getRandomValues(new Uint8Array(DATA_KEY_BYTES));
  return { record: await wrap(dataKey, passphrase, iterations), dataKey };
}

export function isKeyRecord(value: unknown): value is KeyRecord {
  const r = value as Partial<KeyRecord> | null;
  return (
    typeof r === 'object' && r !== null && r.format === 'mnemo.key' && r.version === 1 && r.kdf === 'PBKDF2-SHA256' &&
    Number.isInteger(r.iterations) && (r.iterations ?? 0) >= 1 && (r.iterations ?? 0) <= 10_000_000 &&
    typeof r.salt === 'string' && typeof r.iv === 'string' && typeof r.wrappedKey === 'string' && r.cipher === 'chacha20'
  );
}

/** The data key, or ENCRYPTED when the passphrase is wrong (the GCM tag does not verify). */
export async function unwrapKey(record: KeyRecord, passphrase: string): Promise<Uint8Array> {
  const kek = await deriveWrappingKey(passphrase, fromBase64(record.salt), record.iterations);
  try {
    const key = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(fromBase64(record.iv)) }, kek, buf(fromBase64(record.wrappedKey))));
    if (key.length !== DATA_KEY_BYTES) fail('ENCRYPTED', 'encryption: the key file is damaged');
    return key;
  } catch (error) {
    if ((error as { name?: string }).name === 'OperationError') fail('ENCRYPTED', WRONG_PASSPHRASE);
    throw error;
  }
}

/** The same data key under a new passphrase, with a new salt. */
export function rewrapKey(dataKey: Uint8Array, passphrase: string, iterations = PBKDF2_ITERATIONS): Promise<KeyRecord> {
  return wrap(dataKey, passphrase, iterations);
}

/** Wraps exports of an encrypted database (the live key record and data key). */
export interface Sealer {
  seal(plain: Uint8Array): Promise<Uint8Array>;
}

// ---- the MNEMOENC container of encrypted exports ----------------------------------

/**
 * `MNEMOENC` (8 bytes), a 4-byte big-endian length, that many bytes of the
 * key record as JSON, a 12-byte nonce, then AES-256-GCM(data key, SQLite
 * file). The record lets the file be opened with its passphrase anywhere,
 * including after the passphrase of the live database changed.
 */
const MAGIC = new TextEncoder().encode('MNEMOENC');
const MAX_RECORD_BYTES = 4096;

export function isContainer(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

export async function seal(plain: Uint8Array, record: KeyRecord, dataKey: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', buf(dataKey), 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, buf(plain)));
  const head = new TextEncoder().encode(JSON.stringify(record));
  const out = new Uint8Array(MAGIC.length + 4 + head.length + IV_BYTES + body.length);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length);
  out.set(head, MAGIC.length + 4);
  out.set(iv, MAGIC.length + 4 + head.length);
  out.set(body, MAGIC.length + 4 + head.length + IV_BYTES);
  return out;
}

/** The SQLite file inside a container; ENCRYPTED for a wrong passphrase, IMPORT_REJECTED for a damaged container. */
export async function unseal(bytes: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const damaged = () => fail('IMPORT_REJECTED', 'import rejected: the encrypted file is damaged');
  if (!isContainer(bytes) || bytes.length < MAGIC.length + 4) damaged();
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length);
  const start = MAGIC.length + 4;
  if (length > MAX_RECORD_BYTES || start + length + IV_BYTES + 16 > bytes.length) damaged();
  let record: unknown;
  try {
    record = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + length)));
  } catch {
    damaged();
  }
  if (!isKeyRecord(record)) damaged();
  const dataKey = await unwrapKey(record as KeyRecord, passphrase);
  const key = await crypto.subtle.importKey('raw', buf(dataKey), 'AES-GCM', false, ['decrypt']);
  const iv = bytes.subarray(start + length, start + length + IV_BYTES);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(iv) }, key, buf(bytes.subarray(start + length + IV_BYTES))));
  } catch {
    return damaged();
  }
}
