import { fileURLToPath } from 'node:url';
import { nodeCatalog } from '../../src/node/catalog';
import type { MnemoError } from '../../src/shared/errors';
import { createMnemo, openCore, type CoreOptions } from '../../src/worker/core';

/** The bundled models as Node loads them (the default model is the deterministic test-hash-64). */
export const testCatalog = () => nodeCatalog(fileURLToPath(new URL('../../public/models/', import.meta.url)));

export async function openTest(options: Partial<CoreOptions> = {}) {
  const core = await openCore({ storage: 'memory', catalog: testCatalog(), ...options });
  const mnemo = createMnemo(core);
  return { core, mnemo, sql: core.sql };
}

/** Resolves to the plain error object a call rejected with. */
export async function errorOf(promise: Promise<unknown>): Promise<MnemoError> {
  try {
    await promise;
  } catch (error) {
    return error as MnemoError;
  }
  throw new Error('expected the call to fail');
}

export function count(sql: { value: (q: string, p?: never[]) => unknown }, query: string): number {
  return Number(sql.value(query));
}
