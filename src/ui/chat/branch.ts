// Branches: regenerate and edit-and-resend keep the earlier answer.
//
// Contract:
// * `branchOff(port, conversationId, messageId, cut)` copies the whole
//   conversation, in order and with every stored field, into a new archived
//   conversation of the same session titled "<title> · branch N" (N counts
//   the branches of that conversation, 1 first), whose metadata names the
//   original (`branchOf`) and the message it forked at (`forkedAt`). Each
//   copy carries `metadata.copiedFrom` = the original message id.
// * Then the live conversation is cut: `cut: 'after'` deletes every message
//   after `messageId` (regenerate: the user's message stays and is answered
//   again); `cut: 'from'` deletes `messageId` too (edit-and-resend: the edited
//   text is added as a new message).
// * The copy is one atomic `insertMany`; deletes follow one by one, so a
//   failure part-way leaves the full copy in the branch and never loses text.
//   Messages still streaming cannot be branched (`INVALID_INPUT`-like reason
//   thrown as `{ code: 'CONFLICT', message }`).
import type { MessageCursorPage, MessageInput } from '../../shared/api';
import type { Conversation, Message, Page } from '../../shared/models';

export interface BranchPort {
  conversations: {
    get(id: string): Promise<Conversation>;
    create(input: { sessionId: string; title: string; status: 'archived'; metadata: { branchOf: string; forkedAt: string } }): Promise<Conversation>;
    list(request: { sessionId: string; pageSize: number; page: number }): Promise<Page<Conversation>>;
  };
  messages: {
    list(request: { conversationId: string; limit: number; cursor?: string }): Promise<MessageCursorPage>;
    insertMany(messages: MessageInput[]): Promise<{ inserted: number; ids: string[] }>;
    delete(id: string): Promise<boolean>;
  };
}

export async function allMessages(port: Pick<BranchPort, 'messages'>, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await port.messages.list({ conversationId, limit: 1000, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

async function branchCount(port: BranchPort, conversation: Conversation): Promise<number> {
  let n = 0;
  for (let page = 1; ; page += 1) {
    const result = await port.conversations.list({ sessionId: conversation.sessionId, pageSize: 200, page });
    n += result.items.filter((c) => c.metadata['branchOf'] === conversation.id).length;
    if (!result.hasNext) return n;
  }
}

export const branchTitle = (title: string | null, n: number) => `${title ?? 'Untitled'} · branch ${n}`;

export async function branchOff(
  port: BranchPort,
  conversationId: string,
  messageId: string,
  cut: 'after' | 'from',
): Promise<{ branch: Conversation; removed: string[] }> {
  const conversation = await port.conversations.get(conversationId);
  const messages = await allMessages(port, conversationId);
  const at = messages.findIndex((m) => m.id === messageId);
  if (at < 0) throw { code: 'NOT_FOUND', message: 'message not found in this conversation' };
  if (messages.some((m) => m.isStreaming)) throw { code: 'CONFLICT', message: 'an answer is still streaming; stop it first' };
  const n = (await branchCount(port, conversation)) + 1;
  const branch = await port.conversations.create({
    sessionId: conversation.sessionId,
    title: branchTitle(conversation.title, n),
    status: 'archived',
    metadata: { branchOf: conversation.id, forkedAt: messageId },
  });
  await port.messages.insertMany(
    messages.map((m) => ({
      conversationId: branch.id,
      role: m.role,
      content: m.content,
      toolCalls: m.toolCalls,
      toolCallId: m.toolCallId,
      toolResults: m.toolResults,
      thinking: m.thinking,
      thinkingSignature: m.thinkingSignature,
      assistantId: m.assistantId,
      attachments: m.attachments,
      model: m.model,
      tokensUsed: m.tokensUsed,
      source: m.source,
      error: m.error,
      metadata: { ...m.metadata, copiedFrom: m.id },
      createdAt: m.createdAt,
    })),
  );
  const removed = messages.slice(cut === 'after' ? at + 1 : at).map((m) => m.id);
  for (const id of [...removed].reverse()) await port.messages.delete(id);
  return { branch, removed };
}
