/** The encryption API of databases with nothing at rest to encrypt (in-memory, Node). */
import type { EncryptionApi, EncryptionStatus } from '../../shared/api';
import { fail } from '../../shared/errors';
import { checkPassphrase } from './keys';

const STATUS: EncryptionStatus = { available: false, encrypted: false, locked: false, cipher: null, kdf: null };
const UNAVAILABLE = 'not available for in-memory databases (nothing is stored at rest)';

export function unavailableEncryption(): EncryptionApi {
  const refuse = (method: string, ...passphrases: Array<[unknown, string]>): Promise<EncryptionStatus> => {
    for (const [value, field] of passphrases) checkPassphrase(value, `encryption.${method}`, field);
    return Promise.reject(fail('ENCRYPTED', `encryption.${method}: ${UNAVAILABLE}`));
  };
  return {
    status: async () => ({ ...STATUS }),
    enable: async (passphrase) => refuse('enable', [passphrase, 'passphrase']),
    unlock: async (passphrase) => refuse('unlock', [passphrase, 'passphrase']),
    lock: async () => refuse('lock'),
    change: async (oldPassphrase, newPassphrase) => refuse('change', [oldPassphrase, 'oldPassphrase'], [newPassphrase, 'newPassphrase']),
    disable: async (passphrase) => refuse('disable', [passphrase, 'passphrase']),
  };
}
