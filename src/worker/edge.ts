/**
 * The worker edge: every API function is wrapped once so that whatever is
 * thrown inside leaves as a plain `{ code, message }` object. Unknown errors
 * become QUERY_FAILED with a generic message; their text may quote SQL or
 * content, so only the stack goes to the console.
 */
import { isMnemoError, MnemoFailure, type MnemoError } from '../shared/errors';
import { toFailure } from './engine/sql';

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
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(normalizeError(error, where))) : result;
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
