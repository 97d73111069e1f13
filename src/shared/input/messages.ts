/** Schemas of messages. */
import * as v from 'valibot';
import { MESSAGE_ROLES } from '../models';
import { strictObject, type Base, type Limits } from './base';
import { embeddingFields } from './embeddings';

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
    ...embeddingFields,
  };
  const message = strictObject(messageFields, 'a message object');
  /** `add` alone may leave out the conversation: the message then goes to the space's default conversation. */
  const messageAdd = strictObject({ ...messageFields, conversationId: v.optional(b.id) }, 'a message object');
  const cursor = v.pipe(v.string('a cursor string'), v.regex(/^\d{1,16}_\d{1,20}$/, 'a cursor returned by an earlier call'));
  const limit = v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(1000, 'at most 1000')));
  return {
    messageAdd,
    messagePageRequest: v.optional(
      strictObject({ ...b.pageFields, order: v.optional(v.picklist(['asc', 'desc'], "'asc' or 'desc'")) }, 'an object'),
      {},
    ),
    messageRecentRequest: v.optional(strictObject({ limit, before: v.optional(cursor) }, 'an object'), {}),
    messageListRequest: v.optional(
      strictObject(
        {
          sessionId: v.optional(b.id),
          conversationId: v.optional(b.id),
          since: v.optional(b.timestamp),
          until: v.optional(b.timestamp),
          roles: v.optional(v.pipe(v.array(messageRole, 'an array of roles'), v.minLength(1, 'at least one role'))),
          cursor: v.optional(cursor),
          limit,
          order: v.optional(v.picklist(['asc', 'desc'], "'asc' or 'desc'")),
        },
        'an object',
      ),
      {},
    ),
    messageCountRequest: v.optional(strictObject({ sessionId: v.optional(b.id), conversationId: v.optional(b.id) }, 'an object'), {}),
    /** One file of an export as bytes; a File/Blob is checked by the caller (it has no plain fields to name). */
    importFile: strictObject(
      { name: b.shortText, bytes: v.instance(Uint8Array, 'a Uint8Array') },
      'a file: { name, bytes } or a File',
    ),
    importFileList: v.pipe(v.array(v.unknown(), 'an array of files'), v.minLength(1, 'at least one file'), v.maxLength(1000, 'at most 1000 files')),
    importOptions: v.optional(
      strictObject(
        {
          format: v.optional(v.picklist(['auto', 'chatgpt', 'claude', 'mnemo-json'], "'auto', 'chatgpt', 'claude' or 'mnemo-json'")),
          dryRun: v.optional(v.boolean('a boolean')),
          sessionId: v.optional(b.id),
          expectedConversations: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(0, 'non-negative'), v.maxValue(1e9, 'at most 1e9'))),
        },
        'an object',
      ),
      {},
    ),
    historyClearRequest: v.optional(strictObject({ before: v.optional(b.timestamp) }, 'an object'), {}),
    message,
    messageWithId: strictObject({ ...messageFields, id: b.id }, 'a message object with an id'),
    messageBatch: v.pipe(v.array(message, 'an array of messages'), v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} messages`)),
  };
}
