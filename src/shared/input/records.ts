/** Schemas of spaces, agents, sessions and conversations. */
import * as v from 'valibot';
import { CONVERSATION_STATUSES } from '../models';
import { strictObject, type Base } from './base';

export function spaceSchemas(b: Base) {
  return {
    spaceInput: strictObject({ ...b.scopeEntries, name: v.optional(b.name) }, 'an object'),
    spaceList: v.optional(strictObject({ ...b.pageFields, userId: v.optional(b.scopeEntries.userId) }, 'an object'), {}),
  };
}

export function agentSchemas(b: Base) {
  const agentFields = {
    name: b.name,
    description: b.nullableLong,
    model: b.nullableShort,
    systemPrompt: b.nullableLong,
    isActive: v.optional(v.boolean('a boolean')),
  };
  return {
    agentInput: strictObject({ id: v.optional(b.id), ...agentFields, createdAt: v.optional(b.timestamp) }, 'an agent object'),
    agentPatch: strictObject(v.partial(v.object(agentFields)).entries, 'an object of agent fields'),
  };
}

export function sessionSchemas(b: Base) {
  const sessionFields = {
    name: b.name,
    role: b.nullableShort,
    goals: b.nullableLong,
    agentId: v.nullish(b.id),
    metadata: v.optional(b.jsonObject),
  };
  return {
    sessionInput: strictObject({ id: v.optional(b.id), ...sessionFields, createdAt: v.optional(b.timestamp) }, 'a session object'),
    sessionPatch: strictObject(v.partial(v.object(sessionFields)).entries, 'an object of session fields'),
  };
}

export function conversationSchemas(b: Base) {
  const status = v.optional(v.picklist(CONVERSATION_STATUSES, `one of ${CONVERSATION_STATUSES.join(', ')}`));
  const conversationFields = {
    title: b.nullableShort,
    status,
    channelId: b.nullableShort,
    model: b.nullableShort,
    metadata: v.optional(b.jsonObject),
  };
  return {
    conversationInput: strictObject(
      { id: v.optional(b.id), sessionId: b.id, ...conversationFields, createdAt: v.optional(b.timestamp) },
      'a conversation object',
    ),
    conversationPatch: strictObject(v.partial(v.object(conversationFields)).entries, 'an object of conversation fields'),
    conversationList: v.optional(strictObject({ ...b.pageFields, sessionId: v.optional(b.id), status }, 'an object'), {}),
  };
}
