// What both examples run in the page: open a database, store a conversation
// and a memory, search by keyword and by meaning (the bundled model, in the
// embedding worker), and show that bad input is refused. The result is written
// to the page and to window.mnemoExample for scripts/test-examples.mjs.
import { isMnemoError, openMnemo } from 'mnemo';

export async function runExample(log) {
  const mnemo = await openMnemo({ name: 'example' });
  const s = mnemo.space({ userId: 'demo', spaceId: 'example' });

  const session = await s.sessions.create({ name: 'Trip planning' });
  const chat = await s.conversations.create({ sessionId: session.id, title: 'Lisbon' });
  await s.messages.add({ conversationId: chat.id, role: 'user', content: 'We fly to Lisbon on Friday and want pastel de nata.' });
  await s.messages.add({ conversationId: chat.id, role: 'assistant', content: 'Book a table by the river in Belém.' });
  const { memory } = await s.memories.add({ kind: 'long', content: 'The user is allergic to peanuts.' });
  await s.memories.add({ kind: 'long', content: 'The user works as a violin teacher.' });
  log(`stored 2 messages and 2 memories in ${(await mnemo.info()).vfs}`);

  const keyword = await s.search({ query: 'lisbon', mode: 'keyword', limit: 5 });
  log(`keyword "lisbon": ${keyword.map((h) => h.text).join(' | ')}`);

  // The embedding worker loads the bundled model and embeds every row in the background.
  const status = await mnemo.embeddings.flush(60_000);
  const vector = await s.search({ query: 'nut allergy', mode: 'vector', limit: 3, filters: { kinds: ['memory'] } });
  log(`vector "nut allergy" (${status.modelId}, ${status.embedded} rows): ${vector.map((h) => h.text).join(' | ')}`);

  let refused = null;
  try {
    await s.messages.add({ conversationId: chat.id, role: 'robot', content: 'x' });
  } catch (error) {
    refused = isMnemoError(error) ? error.code : String(error);
  }

  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    messages: (await s.messages.count({ conversationId: chat.id })),
    keywordTop: keyword[0]?.text ?? null,
    embedding: { modelId: status.modelId, pending: status.pending, embedded: status.embedded, error: status.error },
    vectorTopIsMemory: vector[0]?.id === memory.id,
    vectorTop: vector[0]?.text ?? null,
    refused,
  };
}
