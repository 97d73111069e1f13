/**
 * The smallest request/response protocol over postMessage, for the baseline
 * workers: no proxies, no extra hops, so a baseline's round trip is as cheap
 * as a worker call can be. A handler's Uint8Array result is transferred, not
 * copied (as Mnemo's `files.export()` transfers its bytes).
 */

interface Request {
  id: number;
  op: string;
  args: unknown[];
}

type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type Handlers = Record<string, (...args: never[]) => unknown>;

export interface Client<H extends Handlers> {
  call<K extends keyof H & string>(op: K, ...args: Parameters<H[K]>): Promise<Awaited<ReturnType<H[K]>>>;
  terminate(): void;
}

export function connect<H extends Handlers>(worker: Worker): Client<H> {
  let next = 0;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  worker.onmessage = (event: MessageEvent<Response>) => {
    const message = event.data;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(message.error));
  };
  worker.onerror = (event) => {
    for (const pending of waiting.values()) pending.reject(new Error(`worker failed: ${event.message}`));
    waiting.clear();
  };
  return {
    call(op, ...args) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.postMessage({ id, op, args } satisfies Request);
      });
    },
    terminate: () => worker.terminate(),
  };
}

/** Worker side: answers each request with its handler's (awaited) result. */
export function serve(handlers: Handlers): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<Request>) => void) | null;
    postMessage(message: Response, transfer?: Transferable[]): void;
  };
  const answer = async (event: MessageEvent<Request>) => {
    const { id, op, args } = event.data;
    try {
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown op ${op}`);
      const result = await (handler as (...a: unknown[]) => unknown)(...args);
      scope.postMessage({ id, ok: true, result }, result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : []);
    } catch (error) {
      // Mnemo's own code throws plain {code, message} objects.
      const text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'object' && error ? JSON.stringify(error) : String(error);
      scope.postMessage({ id, ok: false, error: text });
    }
  };
  // Requests run concurrently; every failure is posted back as an answer.
  scope.onmessage = (event) => void answer(event);
}
