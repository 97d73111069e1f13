/**
 * Way (b) of encryption at rest, measured at its core: the cost of sealing
 * and opening one 4 KiB database page with each candidate AEAD, in the same
 * browser as the SQLite3 Multiple Ciphers figures (scripts/bench-encryption.mjs).
 * sqlite-wasm calls a VFS synchronously, so an own encrypting VFS can only use
 * a synchronous cipher (@noble/ciphers); WebCrypto is measured too, awaited
 * page by page, for what an asynchronous VFS (JSPI/Asyncify build) would pay.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';

declare global {
  interface Window {
    cipherResult?: Record<string, number> | { error: string };
  }
}

const PAGE = 4096;
const PAGES = 2000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Microseconds per page for seal + open, median of 5 rounds of PAGES pages. */
async function perPage(run: (page: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>) => Promise<void> | void): Promise<number> {
  const page = crypto.getRandomValues(new Uint8Array(PAGE));
  const nonces = Array.from({ length: PAGES }, () => crypto.getRandomValues(new Uint8Array(12)));
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const start = performance.now();
    for (const nonce of nonces) await run(page, nonce);
    if (round > 0) rounds.push(((performance.now() - start) * 1000) / PAGES);
  }
  return median(rounds);
}

try {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const webKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const result: Record<string, number> = {
    nobleChacha20Poly1305Us: await perPage((page, nonce) => {
      const c = chacha20poly1305(key, nonce);
      chacha20poly1305(key, nonce).decrypt(c.encrypt(page));
    }),
    nobleAesGcmUs: await perPage((page, nonce) => {
      gcm(key, nonce).decrypt(gcm(key, nonce).encrypt(page));
    }),
    webCryptoAesGcmUs: await perPage(async (page, nonce) => {
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, webKey, page);
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce }, webKey, sealed);
    }),
  };
  window.cipherResult = result;
} catch (error) {
  window.cipherResult = { error: String(error) };
}
