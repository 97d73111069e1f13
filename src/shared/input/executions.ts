/** Schemas of agent executions. */
import * as v from 'valibot';
import { EXECUTION_STATUSES } from '../models';
import { strictObject, type Base } from './base';

export function executionSchemas(b: Base) {
  const executionStatus = v.picklist(EXECUTION_STATUSES, `one of ${EXECUTION_STATUSES.join(', ')}`);
  return {
    executionStatus,
    finishStatus: v.picklist(['succeeded', 'failed', 'cancelled'], 'one of succeeded, failed, cancelled'),
    executionStart: v.optional(strictObject({ queued: v.optional(v.boolean('a boolean')), metadata: v.optional(b.jsonObject) }, 'an object'), {}),
    executionList: v.optional(
      strictObject({ ...b.pageFields, agentId: v.optional(b.id), sessionId: v.optional(b.id), status: v.optional(executionStatus) }, 'an object'),
      {},
    ),
    nullableError: v.nullish(b.longText),
  };
}
