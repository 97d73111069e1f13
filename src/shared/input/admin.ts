/** Schemas of settings and the admin calls of the API root. */
import * as v from 'valibot';
import { modelId, strictObject, wellFormed, type Base } from './base';
import { endpointsSetting } from './endpoints';

export function settingSchemas(b: Base) {
  return {
    settingKey: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty key'), v.maxLength(256, 'a key of at most 256 characters'), wellFormed),
    jsonValue: b.jsonValue,
    /** The value of `chat.endpoints` (`ENDPOINTS_SETTING`): no API key may enter the database. */
    endpointsSetting,
  };
}

export function adminSchemas() {
  return {
    days: v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(100_000, 'at most 100000')),
    clearAll: strictObject({ confirm: v.literal(true, 'true (explicit confirmation)') }, 'an object { confirm: true }'),
    modelId,
    timeoutMs: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(3_600_000, 'at most one hour'))),
  };
}
