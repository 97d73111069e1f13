/**
 * The worker edge: every API function is wrapped once so that whatever is
 * thrown inside leaves as a plain `{ code, message }` object. Unknown errors
 * become QUERY_FAILED with a generic message; their text may quote SQL or
 * content, so only the stack goes to the console.
 */
import { isMnemoError, MnemoFailure, type MnemoError } from '../shared/errors';
import { STORAGE_IO_FAILED, toFailure } from './engine/sql';

/** Below this much free quota, a failed storage write is taken as the quota running out. */
const QUOTA_MARGIN_BYTES = 32 * 1024 * 1024;

/**
 * The sahpool VFS reports every failed OPFS write as SQLITE_IOERR, quota
 * errors included; the storage estimate tells the two apart.
 */
async function refineStorageError(error: MnemoError): Promise<MnemoError> {
  const storage = (globalThis.navigator as WorkerNavigator | undefined)?.storage;
  if (error.code !== 'QUERY_FAILED' || !error.message.endsWith(STORAGE_IO_FAILED) || !storage?.estimate) return error;
  try {
    const { usage = 0, quota = Infinity } = await storage.estimate();
    if (quota - usage < QUOTA_MARGIN_BYTES) return { code: 'QUOTA_EXCEEDED', message: error.message.replace(STORAGE_IO_FAILED, 'storage quota exceeded') };
  } catch {
    // Without an estimate the I/O error stands as it is.
  }
  return error;
}

export function normalizeError(error: unknown, context: string): MnemoError {
  if (error instanceof MnemoFailure) return error.toJSON();
  if (isMnemoError(error)) return { code: error.code, message: error.message };
  const failure = toFailure(error, context);
  if (failure.message.endsWith('query failed')) {
    console.error(`mnemo: unexpected failure in ${context}`, error instanceof Error ? error.stack : undefined);
  }
  return failure.toJSON();
}

type AnyFunction = (...args: never[]) => unknown;

/** Deep-wraps the functions of an API object; plain values are kept. */
export function guard<T extends object>(api: T, path = 'mnemo'): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(api)) {
    const where = `${path}.${key}`;
    if (typeof value === 'function') {
      const fn = value as AnyFunction;
      out[key] = (...args: never[]) => {
        try {
          const result = fn.apply(api, args);
          return result instanceof Promise
            ? result.catch(async (error: unknown) => Promise.reject(await refineStorageError(normalizeError(error, where))))
            : result;
        } catch (error) {
          throw normalizeError(error, where);
        }
      };
    } else if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
      out[key] = guard(value as object, where);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}
