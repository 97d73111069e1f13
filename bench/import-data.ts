/**
 * The benchmark's messages as a ChatGPT data export (`conversations.json`):
 * one conversation per 100 messages, each a linear chain of mapping nodes
 * under a null root, as the export writes them.
 */
import type { BenchMessage } from './data';

interface Node {
  id: string;
  parent: string | null;
  children: string[];
  message: null | {
    id: string;
    author: { role: string };
    create_time: number;
    content: { content_type: 'text'; parts: string[] };
    metadata: Record<string, unknown>;
  };
}

export function chatgptExport(messages: readonly BenchMessage[]): Uint8Array {
  const byConversation = new Map<number, BenchMessage[]>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation) ?? [];
    list.push(m);
    byConversation.set(m.conversation, list);
  }
  const conversations = [...byConversation].map(([index, list]) => {
    const root = `root-${index}`;
    const mapping: Record<string, Node> = { [root]: { id: root, parent: null, children: [], message: null } };
    let parent = root;
    list.forEach((m, i) => {
      const id = `c${index}-m${i}`;
      mapping[parent]!.children.push(id);
      mapping[id] = {
        id,
        parent,
        children: [],
        message: { id, author: { role: m.role }, create_time: m.createdAt / 1000, content: { content_type: 'text', parts: [m.content] }, metadata: {} },
      };
      parent = id;
    });
    return {
      id: `bench-conversation-${index}`,
      title: `Chat ${index}`,
      create_time: list[0]!.createdAt / 1000,
      update_time: list.at(-1)!.createdAt / 1000,
      current_node: parent,
      mapping,
    };
  });
  return new TextEncoder().encode(JSON.stringify(conversations));
}
