/** Small readers for untrusted JSON values: each returns undefined instead of throwing. */
import type { Json, JsonObject } from '../../shared/models';

export type Raw = Record<string, unknown>;

export function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Seconds since the epoch (ChatGPT; fractional, null or a numeric string) → integer ms. */
export function secondsToMs(value: unknown): number | null {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null;
}

/** ISO 8601 (Claude, Mnemo) or Unix ms → integer ms. */
export function isoToMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value) : null;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * A type tag from the file (`content_type`, block `type`) made safe to put in
 * a report key: vocabulary words pass, anything else becomes 'other'.
 */
export function tag(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9_.-]{1,48}$/i.test(value) ? value : 'other';
}

/** A file's id made safe for a report's `where`: ids pass, anything longer or odd is cut. */
export function idForReport(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '?';
  const text = String(value);
  return /^[\w.:#-]{1,80}$/.test(text) ? text : `${text.replace(/[^\w.:#-]/g, '').slice(0, 40)}…`;
}

export function compactObject(entries: Record<string, Json | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) out[key] = value;
  return out;
}
