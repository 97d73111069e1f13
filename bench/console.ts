/**
 * The workloads as a console script would run them in the Mnemo app itself:
 * scripts/bench.mjs bundles this file into one classic script and evaluates
 * it in the app page, where it uses nothing but `window.mnemo`.
 */
import type { MnemoClient } from '../src/client';
import { conversationCount } from './data';
import { BATCH, benchData, elapsed, measureStore, mnemoContender, type StoreConfig, type StoreResult } from './workloads';

declare global {
  interface Window {
    mnemo?: MnemoClient;
  }
}

async function run(config: StoreConfig): Promise<StoreResult & { mnemoConversation: string; coldConversation: number }> {
  const mnemo = window.mnemo;
  if (!mnemo) throw new Error('window.mnemo is not there yet');
  const info = await mnemo.info();
  if (info.vfs !== 'opfs-sahpool' || info.warning) throw new Error(`the app is not on opfs-sahpool (${info.vfs}: ${info.warning})`);
  const contender = mnemoContender(mnemo);
  const result = await measureStore({ mnemo: contender }, config, (line) => console.log(`[bench] ${line}`));
  const coldConversation = Math.floor(contender.conversationIds.length / 2);
  return { ...result, coldConversation, mnemoConversation: contender.conversationIds[coldConversation]! };
}

/** One more insert of the N rows (for the spread over repeats), in a fresh profile. */
async function insertOnly(n: number): Promise<{ ms: number }> {
  const mnemo = window.mnemo;
  if (!mnemo) throw new Error('window.mnemo is not there yet');
  const contender = mnemoContender(mnemo);
  const { messages } = await benchData(n);
  await contender.prepare!(conversationCount(n));
  const ms = await elapsed(async () => {
    for (let i = 0; i < messages.length; i += BATCH) await contender.insertBatch!(messages.slice(i, i + BATCH));
  });
  return { ms };
}

(globalThis as { mnemoBench?: unknown }).mnemoBench = { run, insertOnly };
