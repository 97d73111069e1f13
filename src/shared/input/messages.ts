/** Schemas of messages. */
import * as v from 'valibot';
import { MESSAGE_ROLES } from '../models';
import { strictObject, type Base, type Limits } from './base';

export const messageRole = v.picklist(MESSAGE_ROLES, `one of ${MESSAGE_ROLES.join(', ')}`);

export function messageSchemas(b: Base, limits: Limits) {
  const messageFields = {
    id: v.optional(b.id),
    conversationId: b.id,
    role: messageRole,
    content: b.content,
    toolCalls: v.nullish(b.jsonField),
    toolCallId: b.nullableShort,
    toolResults: v.nullish(b.jsonField),
    thinking: b.nullableLong,
    thinkingSignature: b.nullableLong,
    assistantId: b.nullableShort,
    attachments: v.nullish(b.jsonField),
    model: b.nullableShort,
    tokensUsed: v.nullish(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(0, 'non-negative'), v.maxValue(Number.MAX_SAFE_INTEGER, 'a safe integer'))),
    isStreaming: v.optional(v.boolean('a boolean')),
    source: b.nullableShort,
    error: b.nullableLong,
    metadata: v.optional(b.jsonObject),
    createdAt: v.optional(b.timestamp),
    updatedAt: v.optional(b.timestamp),
  };
  const message = strictObject(messageFields, 'a message object');
  return {
    message,
    messageWithId: strictObject({ ...messageFields, id: b.id }, 'a message object with an id'),
    messageBatch: v.pipe(v.array(message, 'an array of messages'), v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} messages`)),
  };
}
