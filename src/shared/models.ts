/** Models as the API sees them: camelCase, timestamps in Unix milliseconds. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Scope {
  userId: string;
  spaceId: string;
}

export interface Space extends Scope {
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  model: string | null;
  systemPrompt: string | null;
  isActive: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Session {
  id: string;
  name: string;
  role: string | null;
  goals: string | null;
  agentId: string | null;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export const CONVERSATION_STATUSES = ['active', 'archived', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export interface Conversation {
  id: string;
  sessionId: string;
  title: string | null;
  status: ConversationStatus;
  channelId: string | null;
  model: string | null;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export interface Message {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  toolCalls: Json | null;
  toolCallId: string | null;
  toolResults: Json | null;
  thinking: string | null;
  thinkingSignature: string | null;
  assistantId: string | null;
  attachments: Json | null;
  model: string | null;
  tokensUsed: number | null;
  isStreaming: boolean;
  source: string | null;
  error: string | null;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export const MEMORY_KINDS = ['long', 'short'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export interface Memory {
  id: string;
  kind: MemoryKind;
  content: string;
  importance: number;
  expiresAt: number | null;
  metadata: JsonObject;
  sourceMessageId: string | null;
  /** The conversation the memory belongs to; deleting the conversation deletes the memory. */
  conversationId: string | null;
  accessCount: number;
  lastAccessedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface VectorEntry {
  id: string;
  collection: string;
  documentId: string | null;
  content: string;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export interface DocumentContent {
  id: string;
  sessionId: string;
  filename: string;
  mimeType: string;
  size: number;
  lineCount: number;
  preview: string;
  chunkCount: number;
  metadata: JsonObject;
  lastAccessedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface DocumentWithText extends DocumentContent {
  fullText: string;
}

export interface DocumentChunk {
  id: string;
  contentId: string;
  index: number;
  text: string;
  startLine: number;
  endLine: number;
  heading: string | null;
}

export const EXECUTION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export interface AgentExecution {
  id: string;
  agentId: string;
  sessionId: string | null;
  status: ExecutionStatus;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  hasNext: boolean;
  hasPrev: boolean;
}

export interface PageRequest {
  page?: number;
  pageSize?: number;
}
