/**
 * The encryption life cycle of one database name, held by the owning worker:
 * which driver the file is on (plain pool or cipher pool), whether its data
 * key is in memory (unlocked), and the transitions between them.
 *
 * Commit points: the key record's presence decides which copy is the
 * database. Enable writes and verifies the encrypted copy, then writes the
 * record; disable writes and verifies the plain copy, then deletes the
 * record. A crash anywhere leaves the record's side complete; the other
 * side's leftovers are deleted the next time both sides are open.
 *
 * The data key lives only in this worker's memory: a reload or an owner
 * takeover starts locked (nothing is remembered in any web storage).
 */
import type { DatabaseInfo, EncryptionApi, EncryptionStatus, MnemoEvent } from '../../shared/api';
import { fail } from '../../shared/errors';
import { fileFor } from '../connection';
import type { CipherDriver } from '../engine/cipher-driver';
import type { StorageDriver } from '../engine/driver';
import { listBackups } from '../files/backups';
import type { MnemoService } from '../service';
import { contentDigest, type ContentDigest } from '../engine/digest';
import type { KeyStore } from './key-store';
import { toHex } from '../../shared/hex';
import { checkPassphrase, createKey, rewrapKey, seal, unwrapKey, type KeyRecord, type Sealer } from './keys';

export interface EncryptionDeps {
  name: string;
  keys: KeyStore;
  plain: StorageDriver;
  cipher(hexKey: string): Promise<CipherDriver>;
  /** Opens the database on `driver` (migrations, services) and subscribes the owner's listener. */
  open(driver: StorageDriver, sealer: Sealer | null, encryption: EncryptionApi): Promise<MnemoService>;
  emit(event: MnemoEvent): void;
}

const SUFFIXES = ['', '-wal', '-journal'];
const LOCKED_MESSAGE = 'mnemo: the database is encrypted and locked; call mnemo.encryption.unlock(passphrase) first';

type State =
  | { kind: 'plain'; api: MnemoService }
  | { kind: 'locked'; record: KeyRecord }
  | { kind: 'unlocked'; api: MnemoService; record: KeyRecord; dataKey: Uint8Array; driver: CipherDriver }
  | { kind: 'busy' };

function sameDigest(a: ContentDigest, b: ContentDigest): boolean {
  return a.hash === b.hash && JSON.stringify(a.counts) === JSON.stringify(b.counts);
}

export class EncryptionManager {
  private state: State = { kind: 'busy' };
  /** Transitions run one at a time. */
  private tail: Promise<unknown> = Promise.resolve();
  readonly api: EncryptionApi;

  constructor(private readonly deps: EncryptionDeps) {
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = this.tail.then(fn);
      this.tail = run.catch(() => undefined);
      return run;
    };
    this.api = {
      status: async () => this.status(),
      enable: (passphrase) => {
        const pass = checkPassphrase(passphrase, 'encryption.enable');
        return serial(() => this.enable(pass));
      },
      unlock: (passphrase) => {
        const pass = checkPassphrase(passphrase, 'encryption.unlock');
        return serial(() => this.unlock(pass));
      },
      lock: () => serial(() => this.lock()),
      change: (oldPassphrase, newPassphrase) => {
        const old = checkPassphrase(oldPassphrase, 'encryption.change', 'oldPassphrase');
        const next = checkPassphrase(newPassphrase, 'encryption.change', 'newPassphrase');
        return serial(() => this.change(old, next));
      },
      disable: (passphrase) => {
        const pass = checkPassphrase(passphrase, 'encryption.disable');
        return serial(() => this.disable(pass));
      },
    };
  }

  private get file(): string {
    return fileFor(this.deps.name);
  }

  /** Reads the key record: a plain database opens now, an encrypted one waits locked. */
  async start(): Promise<void> {
    const record = await this.deps.keys.read(this.deps.name);
    if (record) this.state = { kind: 'locked', record };
    else this.state = { kind: 'plain', api: await this.deps.open(this.deps.plain, null, this.api) };
  }

  /** The open database's API; ENCRYPTED while locked. */
  current(): MnemoService {
    const state = this.state;
    if (state.kind === 'plain' || state.kind === 'unlocked') return state.api;
    if (state.kind === 'locked') fail('ENCRYPTED', LOCKED_MESSAGE);
    return fail('LOCKED', 'mnemo: an encryption change is in progress; try again');
  }

  /** `info()` works while locked too, so a page can connect and show the lock screen. */
  async info(): Promise<DatabaseInfo> {
    const state = this.state;
    if (state.kind === 'plain' || state.kind === 'unlocked') {
      return { ...(await state.api.info()), encryption: { encrypted: state.kind === 'unlocked', locked: false } };
    }
    return {
      name: this.deps.name,
      storage: 'opfs',
      vfs: 'multipleciphers-mnemo-sahpool-enc',
      path: `opfs:.mnemo-sahpool-enc/${this.file}`,
      journalMode: 'unknown',
      warning: null,
      schemaVersion: 0,
      sqliteVersion: 'unknown',
      encryption: { encrypted: true, locked: true },
    };
  }

  status(): EncryptionStatus {
    const state = this.state;
    const record = state.kind === 'locked' || state.kind === 'unlocked' ? state.record : null;
    return {
      available: true,
      encrypted: record !== null,
      locked: state.kind === 'locked',
      cipher: record ? record.cipher : null,
      kdf: record ? { name: record.kdf, iterations: record.iterations } : null,
    };
  }

  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'busy' };
    if (state.kind === 'plain' || state.kind === 'unlocked') await state.api.close();
  }

  private sealer(): Sealer {
    return {
      seal: (plain) => {
        const state = this.state;
        if (state.kind !== 'unlocked') fail('ENCRYPTED', LOCKED_MESSAGE);
        return seal(plain, state.record, state.dataKey);
      },
    };
  }

  private async openEncrypted(record: KeyRecord, dataKey: Uint8Array, driver: CipherDriver): Promise<void> {
    const api = await this.deps.open(driver, this.sealer(), this.api);
    this.state = { kind: 'unlocked', api, record, dataKey, driver };
  }

  private changed(): void {
    this.deps.emit({ type: 'change', table: '*', scope: null });
  }

  /**
   * Snapshots the open database, closes it, writes the snapshot and the
   * backups through `to`, and proves the copy by counts and content hash.
   * From the snapshot on no other call gets in (state busy); a failed
   * snapshot leaves the database open as it was.
   */
  private async copyOver(state: { api: MnemoService }, from: StorageDriver, to: StorageDriver, what: string): Promise<void> {
    const previous = this.state;
    this.state = { kind: 'busy' };
    let bytes: Uint8Array;
    try {
      bytes = await state.api.files.export({ markDownloaded: false, plaintext: true });
    } catch (error) {
      this.state = previous;
      throw error;
    }
    const expected = contentDigest(from.sqlite3, bytes);
    const backups = listBackups(from, this.deps.name);
    await state.api.close();
    await to.writeFile(this.file, bytes);
    if (!sameDigest(contentDigest(to.sqlite3, to.readFile(this.file)), expected)) fail('TRANSACTION_FAILED', `${what} did not verify; nothing was changed`);
    for (const backup of backups) await to.writeFile(backup.file, from.readFile(backup.file));
  }

  private async enable(passphrase: string): Promise<EncryptionStatus> {
    const state = this.state;
    if (state.kind !== 'plain') fail('CONFLICT', 'encryption.enable: the database is already encrypted');
    const { plain } = this.deps;
    // The key and the cipher build first, while the database still answers; from the export on no call gets in.
    const { record, dataKey } = await createKey(passphrase);
    const cipher = await this.deps.cipher(toHex(dataKey));
    const backups = listBackups(plain, this.deps.name);
    try {
      await this.copyOver(state, plain, cipher, 'encryption.enable: the encrypted copy');
      await this.deps.keys.write(this.deps.name, record);
    } catch (error) {
      if (this.state.kind !== 'busy') throw error; // the snapshot failed; the database stayed open
      for (const suffix of SUFFIXES) if (cipher.has(this.file + suffix)) cipher.deleteFile(this.file + suffix);
      for (const backup of backups) if (cipher.has(backup.file)) cipher.deleteFile(backup.file);
      this.state = { kind: 'plain', api: await this.deps.open(plain, null, this.api) };
      throw error;
    }
    this.removePlainCopies();
    await this.openEncrypted(record, dataKey, cipher);
    this.changed();
    return this.status();
  }

  /** Deletes the plain database and its backups once the encrypted copy is the database. */
  private removePlainCopies(): void {
    const { plain, name } = this.deps;
    const files = new Set(plain.listFiles().map((f) => f.replace(/^\//, '')));
    for (const suffix of SUFFIXES) if (files.has(this.file + suffix)) plain.deleteFile(this.file + suffix);
    for (const backup of listBackups(plain, name)) plain.deleteFile(backup.file);
  }

  private async unlock(passphrase: string): Promise<EncryptionStatus> {
    const state = this.state;
    if (state.kind !== 'locked') {
      if (state.kind === 'plain') fail('CONFLICT', 'encryption.unlock: the database is not encrypted');
      return this.status();
    }
    const dataKey = await unwrapKey(state.record, passphrase);
    const cipher = await this.deps.cipher(toHex(dataKey));
    if (!cipher.has(this.file)) fail('ENCRYPTED', 'encryption.unlock: the encrypted database file is missing');
    this.state = { kind: 'busy' };
    try {
      await this.openEncrypted(state.record, dataKey, cipher);
    } catch (error) {
      this.state = state;
      throw error;
    }
    this.removePlainCopies();
    this.changed();
    return this.status();
  }

  private async lock(): Promise<EncryptionStatus> {
    const state = this.state;
    if (state.kind === 'plain') fail('CONFLICT', 'encryption.lock: the database is not encrypted');
    if (state.kind !== 'unlocked') return this.status();
    this.state = { kind: 'busy' };
    await state.api.close();
    state.dataKey.fill(0);
    this.state = { kind: 'locked', record: state.record };
    this.changed();
    return this.status();
  }

  private async change(oldPassphrase: string, newPassphrase: string): Promise<EncryptionStatus> {
    const state = this.state;
    if (state.kind !== 'locked' && state.kind !== 'unlocked') fail('CONFLICT', 'encryption.change: the database is not encrypted');
    const dataKey = await unwrapKey(state.record, oldPassphrase);
    const record = await rewrapKey(dataKey, newPassphrase);
    await this.deps.keys.write(this.deps.name, record);
    this.state = { ...state, record };
    return this.status();
  }

  private async disable(passphrase: string): Promise<EncryptionStatus> {
    if (this.state.kind === 'plain') fail('CONFLICT', 'encryption.disable: the database is not encrypted');
    if (this.state.kind === 'locked') await this.unlock(passphrase);
    const state = this.state;
    if (state.kind !== 'unlocked') return fail('LOCKED', 'mnemo: an encryption change is in progress; try again');
    await unwrapKey(state.record, passphrase);
    const { plain } = this.deps;
    const cipher = state.driver;
    const backups = listBackups(cipher, this.deps.name);
    try {
      await this.copyOver(state, cipher, plain, 'encryption.disable: the plain copy');
      await this.deps.keys.delete(this.deps.name);
    } catch (error) {
      if (this.state.kind !== 'busy') throw error; // the snapshot failed; the database stayed open
      this.removePlainCopies();
      await this.openEncrypted(state.record, state.dataKey, cipher);
      throw error;
    }
    for (const suffix of SUFFIXES) if (cipher.has(this.file + suffix)) cipher.deleteFile(this.file + suffix);
    for (const backup of backups) cipher.deleteFile(backup.file);
    state.dataKey.fill(0);
    this.state = { kind: 'plain', api: await this.deps.open(plain, null, this.api) };
    this.changed();
    return this.status();
  }
}
