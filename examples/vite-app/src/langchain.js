// The LangChain retriever over Mnemo (mnemo/langchain, @langchain/core as a
// peer): documents stored as vector entries with vectors of Mnemo's
// in-browser model, found again by a retriever.
import { MnemoEmbeddings, MnemoVectorStore } from 'mnemo/langchain';
import { openMnemo } from 'mnemo';

export async function runLangChain(log) {
  const mnemo = await openMnemo({ name: 'example' });
  const space = mnemo.space({ userId: 'demo', spaceId: 'langchain' });
  const store = await MnemoVectorStore.fromTexts(
    ['Mnemo keeps chats in SQLite in the browser.', 'The Eiffel tower is in Paris.', 'Bananas are yellow.'],
    [{ topic: 'db' }, { topic: 'travel' }, { topic: 'food' }],
    new MnemoEmbeddings({ mnemo }),
    { space, collection: 'example' },
  );
  const docs = await store.asRetriever({ k: 1 }).invoke('where is the eiffel tower');
  log(`retriever: ${docs.map((d) => d.pageContent).join(' | ')}`);
  return { top: docs[0]?.pageContent ?? null, topic: docs[0]?.metadata?.topic ?? null };
}
