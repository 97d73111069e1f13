/**
 * Encryption at rest, the parts Node can run: key wrapping (PBKDF2 + AES-GCM
 * from WebCrypto), the MNEMOENC container, importing a sealed export into an
 * in-memory database, and the refusals of an in-memory database. The cipher
 * build on OPFS is covered in Chromium (e2e/encryption.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { memoryKeyStore } from '../../src/worker/encryption/key-store';
import { createKey, isContainer, isKeyRecord, rewrapKey, seal, unseal, unwrapKey, PBKDF2_ITERATIONS } from '../../src/worker/encryption/keys';
import { contentDigest } from '../../src/worker/engine/digest';
import { errorOf, openTest } from './helpers';

/** Fewer iterations keep the unit tests fast; the default is checked separately. */
const FAST = 1_000;

describe('data key wrapped by a passphrase', () => {
  test('the default is PBKDF2-SHA256 with 600,000 iterations and a 16-byte random salt', async () => {
    expect(PBKDF2_ITERATIONS).toBe(600_000);
    const { record } = await createKey('pass');
    expect(record).toMatchObject({ format: 'mnemo.key', kdf: 'PBKDF2-SHA256', iterations: 600_000, cipher: 'chacha20' });
    expect(Buffer.from(record.salt, 'base64').length).toBe(16);
    expect(isKeyRecord(record)).toBe(true);
  });

  test('the right passphrase gives the data key back; a wrong one is ENCRYPTED and names no passphrase', async () => {
    const { record, dataKey } = await createKey('correct horse', FAST);
    expect(dataKey.length).toBe(32);
    expect(await unwrapKey(record, 'correct horse')).toEqual(dataKey);
    const error = await errorOf(unwrapKey(record, 'wrong horse'));
    expect(error.code).toBe('ENCRYPTED');
    expect(error.message).toMatch(/wrong passphrase/);
    expect(error.message).not.toMatch(/horse/);
    // Unicode forms of one passphrase are one passphrase.
    const { record: composed, dataKey: key2 } = await createKey('caf\u00e9', FAST);
    expect(await unwrapKey(composed, 'cafe\u0301')).toEqual(key2);
  });

  test('the record never holds the passphrase; two records of one passphrase differ (salt, nonce)', async () => {
    const a = await createKey('hunter2-hunter2', FAST);
    const b = await createKey('hunter2-hunter2', FAST);
    expect(JSON.stringify(a.record)).not.toContain('hunter2');
    expect(a.record.salt).not.toBe(b.record.salt);
    expect(a.dataKey).not.toEqual(b.dataKey);
  });

  test('change: re-wrapping keeps the data key; the old passphrase stops working, the new one works', async () => {
    const store = memoryKeyStore();
    const { record, dataKey } = await createKey('old', FAST);
    await store.write('mnemo', record);
    const rewrapped = await rewrapKey(await unwrapKey((await store.read('mnemo'))!, 'old'), 'new', FAST);
    await store.write('mnemo', rewrapped);
    const stored = (await store.read('mnemo'))!;
    expect(await unwrapKey(stored, 'new')).toEqual(dataKey);
    expect((await errorOf(unwrapKey(stored, 'old'))).code).toBe('ENCRYPTED');
    expect(stored.salt).not.toBe(record.salt);
  });

  test('a tampered record does not unwrap', async () => {
    const { record } = await createKey('pass', FAST);
    const wrapped = Buffer.from(record.wrappedKey, 'base64');
    wrapped[0]! ^= 1;
    expect((await errorOf(unwrapKey({ ...record, wrappedKey: wrapped.toString('base64') }, 'pass'))).code).toBe('ENCRYPTED');
    expect(isKeyRecord({ ...record, iterations: 0 })).toBe(false);
    expect(isKeyRecord({ ...record, kdf: 'none' })).toBe(false);
  });
});

describe('the MNEMOENC container of encrypted exports', () => {
  test('round trip; wrong passphrase ENCRYPTED; damage IMPORT_REJECTED; the plain text never appears', async () => {
    const { record, dataKey } = await createKey('pass', FAST);
    const plain = new TextEncoder().encode('SQLite format 3\0 ... SECRET-MARKER ...');
    const sealed = await seal(plain, record, dataKey);
    expect(isContainer(sealed)).toBe(true);
    expect(isContainer(plain)).toBe(false);
    expect(Buffer.from(sealed).includes('SECRET-MARKER')).toBe(false);
    expect(await unseal(sealed, 'pass')).toEqual(plain);
    expect((await errorOf(unseal(sealed, 'nope'))).code).toBe('ENCRYPTED');
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect((await errorOf(unseal(flipped, 'pass'))).code).toBe('IMPORT_REJECTED');
    expect((await errorOf(unseal(sealed.subarray(0, 20), 'pass'))).code).toBe('IMPORT_REJECTED');
    const badLength = sealed.slice();
    new DataView(badLength.buffer).setUint32(8, 0xffffff);
    expect((await errorOf(unseal(badLength, 'pass'))).code).toBe('IMPORT_REJECTED');
  });

  test('files.import opens a sealed export with its passphrase; without it or with a wrong one nothing changes', async () => {
    const source = await openTest();
    const s = source.mnemo.space({ userId: 'u', spaceId: 's' });
    const session = await s.sessions.create({ name: 'Sealed' });
    const chat = await s.conversations.create({ sessionId: session.id });
    await s.messages.insertMany([1, 2, 3].map((i) => ({ conversationId: chat.id, role: 'user' as const, content: `sealed message ${i}` })));
    const { record, dataKey } = await createKey('pass', FAST);
    const sealed = await seal(await source.mnemo.files.export({ markDownloaded: false }), record, dataKey);

    const target = await openTest();
    const empty = contentDigest(target.core.driver.sqlite3, await target.mnemo.files.export({ markDownloaded: false }));
    const noPass = await errorOf(target.mnemo.files.import(sealed.slice(), { mode: 'replace' }));
    expect(noPass.code).toBe('ENCRYPTED');
    expect(noPass.message).toMatch(/passphrase/);
    expect((await errorOf(target.mnemo.files.import(sealed.slice(), { mode: 'replace', passphrase: 'wrong' }))).code).toBe('ENCRYPTED');
    expect((await errorOf(target.mnemo.files.import(sealed.slice(), { mode: 'replace', passphrase: '' }))).code).toBe('INVALID_INPUT');
    expect(contentDigest(target.core.driver.sqlite3, await target.mnemo.files.export({ markDownloaded: false }))).toEqual(empty);

    const result = await target.mnemo.files.import(sealed.slice(), { mode: 'merge', passphrase: 'pass' });
    expect(result.rows.messages).toBe(3);
    const hits = await target.mnemo.space({ userId: 'u', spaceId: 's' }).search({ query: 'sealed', mode: 'keyword' });
    expect(hits.length).toBe(3);
  });

  test('a sealed file that is not SQLite inside is still refused by the bad-file checks', async () => {
    const { record, dataKey } = await createKey('pass', FAST);
    const sealed = await seal(new TextEncoder().encode('not a database at all'), record, dataKey);
    const h = await openTest();
    const error = await errorOf(h.mnemo.files.import(sealed, { mode: 'replace', passphrase: 'pass' }));
    expect(error.code).toBe('IMPORT_REJECTED');
  });
});

describe('content digest (the check before a swap)', () => {
  test('equal for a copy, different after any row changes', async () => {
    const h = await openTest();
    const s = h.mnemo.space({ userId: 'u', spaceId: 's' });
    await s.memories.add({ kind: 'long', content: 'digest me' });
    const sqlite3 = h.core.driver.sqlite3;
    const first = contentDigest(sqlite3, await h.mnemo.files.export({ markDownloaded: false }));
    expect(contentDigest(sqlite3, await h.mnemo.files.export({ markDownloaded: false }))).toEqual(first);
    await s.memories.add({ kind: 'long', content: 'one more' });
    const second = contentDigest(sqlite3, await h.mnemo.files.export({ markDownloaded: false }));
    expect(second.hash).not.toBe(first.hash);
    expect(second.counts.memories).toBe(first.counts.memories! + 1);
  });
});

describe('in-memory databases', () => {
  test('status says unavailable; every change is ENCRYPTED after input validation', async () => {
    const { mnemo } = await openTest();
    expect(await mnemo.encryption.status()).toEqual({ available: false, encrypted: false, locked: false, cipher: null, kdf: null });
    expect((await errorOf(mnemo.encryption.enable('pass'))).code).toBe('ENCRYPTED');
    expect((await errorOf(mnemo.encryption.lock())).code).toBe('ENCRYPTED');
    expect((await errorOf(mnemo.encryption.enable(''))).code).toBe('INVALID_INPUT');
    const bad = await errorOf(mnemo.encryption.change('x', 42 as unknown as string));
    expect(bad).toEqual({ code: 'INVALID_INPUT', message: expect.stringMatching(/newPassphrase/) });
  });
});
