/**
 * Where key records live: `.mnemo-keys/<name>.json` in the origin private
 * file system, beside the database pools. Its presence is what makes a
 * database encrypted, so writing it is the commit point of enable and
 * deleting it the commit point of disable (the store replaces a record
 * atomically: see engine/json-store.ts).
 */
import { memoryJsonStore, opfsJsonStore, type JsonStore } from '../engine/json-store';
import { isKeyRecord, type KeyRecord } from './keys';

export type KeyStore = JsonStore<KeyRecord>;

export const opfsKeyStore = (): KeyStore => opfsJsonStore('.mnemo-keys', isKeyRecord);

/** For Node tests: the same contract over a Map. */
export const memoryKeyStore = () => memoryJsonStore<KeyRecord>();
