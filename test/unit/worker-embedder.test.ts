// The worker embedder's watchdog: a model load or an embed call that never
// answers must end in an error and a stopped worker, not a hang, and the
// embedding service must start a new embedder after a failed call.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EmbedWorkerApi } from '../../src/shared/embed-protocol';
import { createWorkerEmbedder, type WorkerLike } from '../../src/worker/embed/remote-embedder';
import { createTestEmbedder } from '../../src/worker/embed/test-embedder';
import { Connection } from '../../src/worker/connection';
import { EmbeddingService } from '../../src/worker/embed/service';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { bundledMigrations } from '../../src/worker/engine/migrations';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { Events } from '../../src/worker/events';
import { openTest, testCatalog } from './helpers';

/** A Worker stand-in: one end of a MessageChannel, the other end serves `api` through Comlink. */
class FakeWorker extends EventTarget implements WorkerLike {
  terminated = false;
  private readonly port: MessagePort;
  constructor(api: Partial<EmbedWorkerApi>) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    Comlink.expose(api, port2 as unknown as Comlink.Endpoint);
    port1.addEventListener('message', (e) => this.dispatchEvent(new MessageEvent('message', { data: (e as MessageEvent).data })));
    port1.start();
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.port.postMessage(message, (transfer ?? []) as never);
  }
  terminate(): void {
    this.terminated = true;
    this.port.close();
  }
}

const never = () => new Promise<never>(() => {});
const dims = { modelId: 'fake', dims: 3 };
const workers: FakeWorker[] = [];
const spawnWith = (api: Partial<EmbedWorkerApi>) => () => {
  const w = new FakeWorker(api);
  workers.push(w);
  return w;
};
afterEach(() => {
  for (const w of workers.splice(0)) w.terminate();
});

describe('worker embedder watchdog', () => {
  it('answers through the worker and stops it on dispose', async () => {
    const spawn = spawnWith({ init: async () => dims, embed: async (texts) => texts.map(() => new Float32Array([1, 0, 0])), dispose: async () => {} });
    const e = await createWorkerEmbedder({ modelId: 'fake', modelBaseUrl: '/m/' }, { spawn });
    expect(e).toMatchObject(dims);
    expect(await e.embed(['a', 'b'])).toEqual([new Float32Array([1, 0, 0]), new Float32Array([1, 0, 0])]);
    await e.dispose!();
    expect(workers[0]!.terminated).toBe(true);
    await expect(e.embed(['a'])).rejects.toThrow(/disposed/);
  });

  it('a model load that never finishes is an error naming the model, and the worker is stopped', async () => {
    const spawn = spawnWith({ init: never });
    const started = Date.now();
    await expect(createWorkerEmbedder({ modelId: 'stuck-model', modelBaseUrl: '/m/' }, { spawn, initTimeoutMs: 50 })).rejects.toThrow(
      'the embedding model "stuck-model" did not finish loading within 0.05 s',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(workers[0]!.terminated).toBe(true);
  });

  it('a load that fails in the worker rejects with its reason and stops the worker', async () => {
    const spawn = spawnWith({
      init: async () => {
        throw new Error('cannot load embedding model "x": 404');
      },
    });
    await expect(createWorkerEmbedder({ modelId: 'x', modelBaseUrl: '/m/' }, { spawn })).rejects.toThrow('404');
    expect(workers[0]!.terminated).toBe(true);
  });

  it('an embed call that never answers stops the worker; later calls fail at once', async () => {
    const spawn = spawnWith({ init: async () => dims, embed: never });
    const e = await createWorkerEmbedder({ modelId: 'fake', modelBaseUrl: '/m/' }, { spawn, embedTimeoutMs: 50 });
    const hung = expect(e.embed(['hangs'])).rejects.toThrow('did not answer within 0.05 s');
    const behind = e.embed(['waits behind the hung call']);
    await hung;
    expect(workers[0]!.terminated).toBe(true);
    // A call posted after it does not wait for its own timer: the stopped worker fails it at once.
    await expect(behind).rejects.toThrow('did not answer');
    const started = Date.now();
    await expect(e.embed(['after'])).rejects.toThrow('did not answer');
    expect(Date.now() - started).toBeLessThan(40);
    await e.dispose!(); // a stopped worker is not asked again
  });

  it('a worker error event rejects a pending call', async () => {
    const spawn = spawnWith({ init: async () => dims, embed: never });
    const e = await createWorkerEmbedder({ modelId: 'fake', modelBaseUrl: '/m/' }, { spawn });
    const pending = e.embed(['x']);
    const error = new Event('error') as Event & { message: string };
    error.message = 'out of memory';
    workers[0]!.dispatchEvent(error);
    await expect(pending).rejects.toThrow('embed worker failed: out of memory');
    expect(workers[0]!.terminated).toBe(true);
  });
});

describe('embedding service after a failed embed call', () => {
  it('loads the model again on the next run and drains the queue', async () => {
    const catalog = testCatalog();
    let failing = true;
    let loads = 0;
    catalog.factory = async (id) => {
      const real = createTestEmbedder();
      loads++;
      // Like a stopped worker: once failed, this embedder never answers again.
      let broken = false;
      const embed = (texts: string[]) => {
        broken ||= failing;
        return broken ? Promise.reject(new Error('the embedding worker did not answer')) : real.embed(texts);
      };
      return { ...real, modelId: id, embed };
    };
    const { core, mnemo } = await openTest({ catalog });
    const space = mnemo.space({ userId: 'u', spaceId: 'watchdog' });
    const session = await space.sessions.create({ name: 'Main' });
    const conversation = await space.conversations.create({ sessionId: session.id });
    await space.messages.add({ conversationId: conversation.id, role: 'user', content: 'The garden gate squeaks in the rain' });
    const failed = await mnemo.embeddings.flush(10_000);
    expect(failed.error).toMatch(/did not answer/);
    expect(failed.pending).toBeGreaterThan(0);
    const before = loads;
    failing = false;
    const again = await mnemo.embeddings.flush(10_000);
    expect(again).toMatchObject({ pending: 0, error: null, ready: true });
    // The failed embedder was dropped and one new one loaded (without that, the broken one would be asked forever).
    expect(before).toBe(2);
    expect(loads).toBe(2);
    expect((await space.search({ query: 'garden gate', mode: 'vector' }))[0]?.text).toBe('The garden gate squeaks in the rain');
    await core.close();
  });
});

describe('embedding service retries by itself', () => {
  it('a model that failed to load is tried again after the retry delays, and the queue drains without another write', async () => {
    const db = new Connection(createMemoryDriver(await loadSqlite()), await bundledMigrations(), 'retry');
    let loads = 0;
    const catalog = testCatalog();
    catalog.factory = async (id) => {
      loads += 1;
      if (loads <= 2) throw new Error(`the embedding model "${id}" did not finish loading within 60 s`);
      return createTestEmbedder();
    };
    const service = new EmbeddingService({ db, now: Date.now, progress: new Events(), catalog, retryDelaysMs: [30, 30] });
    const scope = { userId: 'u', spaceId: 'retry' };
    db.sql.tx(() => {
      db.repos.spaces.ensure(scope, 1);
      db.repos.memories.insert(scope, { kind: 'long', content: 'The kettle whistles at dawn' }, 1);
    });
    service.written();
    await vi.waitFor(() => expect(service.pending()).toBe(0), { timeout: 10_000, interval: 20 });
    expect(loads).toBe(3);
    expect((await service.status()).error).toBeNull();
    await service.stop();
    db.close();
  });

  it('gives up after the last delay until something else kicks it, and stop() cancels a waiting retry', async () => {
    const db = new Connection(createMemoryDriver(await loadSqlite()), await bundledMigrations(), 'retry2');
    let loads = 0;
    const catalog = testCatalog();
    catalog.factory = async () => {
      loads += 1;
      throw new Error('model files missing');
    };
    const service = new EmbeddingService({ db, now: Date.now, progress: new Events(), catalog, retryDelaysMs: [20] });
    const scope = { userId: 'u', spaceId: 'retry' };
    db.sql.tx(() => {
      db.repos.spaces.ensure(scope, 1);
      db.repos.memories.insert(scope, { kind: 'long', content: 'Never embedded' }, 1);
    });
    service.written();
    await vi.waitFor(() => expect(loads).toBe(2), { timeout: 10_000, interval: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loads).toBe(2); // one run and one retry, then it waits
    expect((await service.status()).error).toBe('model files missing');
    await service.stop();
    // A retry waiting when the service stops never runs.
    const later = new EmbeddingService({ db, now: Date.now, progress: new Events(), catalog, retryDelaysMs: [300] });
    const before = loads; // status() above tried a load too
    later.written();
    await vi.waitFor(() => expect(loads).toBe(before + 1), { timeout: 10_000, interval: 10 });
    await later.stop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(loads).toBe(before + 1);
    db.close();
  });
});
