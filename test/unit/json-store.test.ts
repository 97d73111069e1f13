import { describe, expect, test } from 'vitest';
import { memoryJsonStore } from '../../src/worker/engine/json-store';

describe('memoryJsonStore (the Node stand-in for the OPFS record store)', () => {
  test('records are copied in and out, per name; deleting a missing one is fine', async () => {
    const store = memoryJsonStore<{ n: number; list: string[] }>();
    expect(await store.read('a')).toBeNull();
    const record = { n: 1, list: ['x'] };
    await store.write('a', record);
    record.list.push('changed after write');
    const read = await store.read('a');
    expect(read).toEqual({ n: 1, list: ['x'] });
    read!.list.push('changed after read');
    expect(await store.read('a')).toEqual({ n: 1, list: ['x'] });
    expect(await store.read('b')).toBeNull();
    await store.delete('a');
    await store.delete('a');
    expect(await store.read('a')).toBeNull();
  });
});
