import type { SpacesApi } from '../../shared/api';
import { check, type Schemas } from '../../shared/schemas';
import { write, type WriteDeps } from '../write';

/** Spaces are the one scope-crossing namespace every caller may use: a space is named by its scope. */
export function spacesApi(deps: WriteDeps & { schemas: Schemas }): SpacesApi {
  const { db, schemas: s } = deps;
  return {
    async list(request) {
      return db.repos.spaces.list(check(s.spaceList, request, 'spaces.list'));
    },
    async get(scope) {
      return db.repos.spaces.get(check(s.scope, scope, 'spaces.get'));
    },
    async create(input) {
      const value = check(s.spaceInput, input, 'spaces.create');
      return write(deps, 'spaces', value, (at) => db.repos.spaces.create(value, value.name ?? value.spaceId, at));
    },
    async rename(scope, name) {
      const where = check(s.scope, scope, 'spaces.rename');
      const value = check(s.name, name, 'spaces.rename');
      return write(deps, 'spaces', where, (at) => db.repos.spaces.rename(where, value, at));
    },
    async delete(scope) {
      const where = check(s.scope, scope, 'spaces.delete');
      return write(deps, 'spaces', where, () => db.repos.spaces.delete(where));
    },
  };
}
