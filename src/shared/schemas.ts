/**
 * Input schemas for every API method, checked at the worker edge. Objects are
 * strict (unexpected fields are rejected) and error messages name the field
 * and what was expected, never the value that was sent. The pieces live per
 * namespace in `./input/`; the API's input types are inferred from them.
 */
import * as v from 'valibot';
import { fail } from './errors';
import { adminSchemas, settingSchemas } from './input/admin';
import { baseSchemas, type Limits } from './input/base';
import { documentSchemas, vectorSchemas } from './input/documents';
import { embeddingSchemas } from './input/embeddings';
import { executionSchemas } from './input/executions';
import { memorySchemas } from './input/memories';
import { messageSchemas } from './input/messages';
import { agentSchemas, conversationSchemas, sessionSchemas, spaceSchemas } from './input/records';
import { searchSchemas } from './input/search';
import { syncSchemas } from './input/sync';

export { DEFAULT_LIMITS, isJsonValue } from './input/base';

/** Unexpected keys are named in messages only when they look like field names, never echoing arbitrary input. */
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

export function makeSchemas(limits: Limits) {
  const b = baseSchemas(limits);
  return {
    id: b.id,
    name: b.name,
    scope: b.scope,
    pageRequest: b.pageRequest,
    timestamp: b.timestamp,
    ...spaceSchemas(b),
    ...agentSchemas(b),
    ...sessionSchemas(b),
    ...conversationSchemas(b),
    ...messageSchemas(b, limits),
    ...memorySchemas(b, limits),
    ...vectorSchemas(b, limits),
    ...documentSchemas(b),
    ...settingSchemas(b),
    ...executionSchemas(b),
    ...searchSchemas(b),
    ...embeddingSchemas(b, limits),
    ...syncSchemas(b),
    ...adminSchemas(),
  };
}

export type Schemas = ReturnType<typeof makeSchemas>;

/** Parses `value` or throws INVALID_INPUT naming the offending field. */
export function check<TSchema extends v.GenericSchema>(
  schema: TSchema,
  value: unknown,
  context: string,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const keys = issue.path?.map((item) => String(item.key)) ?? [];
  const path = keys.join('.');
  // A required key that is missing is also a strict_object issue; it expects the key's name rather than never.
  const missing = issue.received === 'undefined' && issue.expected !== 'never';
  const unexpected = !missing && (issue.type === 'strict_object' || issue.expected === 'never');
  if (unexpected && path) {
    const parent = keys.slice(0, -1).join('.');
    const named = FIELD_NAME.test(keys.at(-1) ?? '') ? `'${path}'` : `with an invalid name${parent ? ` in '${parent}'` : ''}`;
    fail('INVALID_INPUT', `${context}: unexpected field ${named}`);
  }
  const where = path ? `field '${path}'` : 'argument';
  if (issue.received === 'undefined' && path) fail('INVALID_INPUT', `${context}: ${where} is required`);
  fail('INVALID_INPUT', `${context}: ${where} must be ${issue.message}`);
}
