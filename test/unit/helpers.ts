import { createMnemo, openCore, type CoreOptions } from '../../src/worker/core';
import type { MnemoError } from '../../src/shared/errors';

export async function openTest(options: CoreOptions = {}) {
  const core = await openCore({ storage: 'memory', ...options });
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
