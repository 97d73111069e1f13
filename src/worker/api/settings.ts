import type { SettingsApi } from '../../shared/api';
import { ENDPOINTS_SETTING } from '../../shared/input/endpoints';
import type { Scope } from '../../shared/models';
import { check, type Schemas } from '../../shared/schemas';
import { isGlobalScope } from '../../shared/scope';
import type { Db } from '../repos';
import type { Write } from '../write';

/**
 * Settings of one space, or of the global scope (`mnemo.settings`); setting one makes the space row on first use.
 * The chat's endpoints (`chat.endpoints`) are refused with an API key in them: keys stay in the browser, so no export carries one.
 */
export function settingsApi({ scope, db, schemas: s, write }: { scope: Scope; db: Db; schemas: Schemas; write: Write }): SettingsApi {
  const context = isGlobalScope(scope) ? 'mnemo.settings' : 'settings';
  return {
    get: async (key) => db.repos.settings.get(scope, check(s.settingKey, key, `${context}.get`)),
    set: async (key, value) => {
      const name = check(s.settingKey, key, `${context}.set`);
      const json = check(s.jsonValue, value, `${context}.set`);
      if (name === ENDPOINTS_SETTING) check(s.endpointsSetting, json, `${context}.set`);
      write('settings', (at) => db.repos.settings.set(scope, name, json, at), { createsSpace: true });
    },
    delete: async (key) => {
      const name = check(s.settingKey, key, `${context}.delete`);
      return write('settings', () => db.repos.settings.delete(scope, name));
    },
    list: async () => db.repos.settings.list(scope),
  };
}
