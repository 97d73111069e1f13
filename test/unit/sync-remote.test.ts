import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { Remote, SyncFailure } from '../../src/worker/sync/remote';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A server on loopback whose handler decides how (and whether) to answer. */
async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failureOf(promise: Promise<unknown>): Promise<SyncFailure> {
  try {
    await promise;
  } catch (error) {
    return error as SyncFailure;
  }
  throw new Error('expected the request to fail');
}

test('a server that accepts the request and never answers fails the request after the timeout', async () => {
  const url = await listen(() => {});
  const started = Date.now();
  const failure = await failureOf(new Remote(url, 'token', undefined, 300).spaces());
  expect(failure).toBeInstanceOf(SyncFailure);
  expect(failure.kind).toBe('unreachable');
  expect(failure.message).toMatch(/did not answer within/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
});

test('a reply whose body stalls after the headers fails the same way', async () => {
  const url = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"spaces": [');
  });
  const failure = await failureOf(new Remote(url, 'token', undefined, 300).spaces());
  expect(failure.kind).toBe('unreachable');
  expect(failure.message).toMatch(/did not answer within/);
});

test('a prompt reply is read as before, and a closed port is reported as unreachable, not as a timeout', async () => {
  const url = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ spaces: [{ id: 's1', name: 'Notes', access: 'write' }] }));
  });
  expect(await new Remote(url, 'token', undefined, 5_000).spaces()).toEqual([{ id: 's1', name: 'Notes', access: 'write' }]);
  server!.close();
  server!.closeAllConnections();
  server = undefined;
  const failure = await failureOf(new Remote(url, 'token', undefined, 5_000).spaces());
  expect(failure.kind).toBe('unreachable');
  expect(failure.message).toMatch(/unreachable/);
});
