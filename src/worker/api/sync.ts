import type { SyncApi } from '../../shared/api';
import { check, type Schemas } from '../../shared/schemas';
import type { SyncService } from '../sync/engine';

export function syncApi(sync: SyncService, s: Schemas): SyncApi {
  return {
    async configure(config) {
      return sync.configure(check(s.syncConfig, config, 'sync.configure'));
    },
    now: () => sync.now(),
    status: () => sync.status(),
    remoteSpaces: () => sync.remoteSpaces(),
    disable: () => sync.disable(),
  };
}
