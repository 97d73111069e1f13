/**
 * What every namespace of a scoped handle shares: the bound scope, the
 * database, input schemas, the clock and the write helper.
 */
import type * as v from 'valibot';
import type { CrudApi } from '../../shared/api';
import type { Page, Scope } from '../../shared/models';
import { check, type Schemas } from '../../shared/schemas';
import type { ModelLookup } from '../embed/caller-vectors';
import type { VectorStore } from '../embed/service';
import type { Db } from '../repos';
import type { Write } from '../write';

/** What the scoped API needs of the embedding service: the registry, storing vectors, the current model. */
export interface EmbeddingAccess extends VectorStore {
  callerModel: ModelLookup;
  readonly modelId: string;
}

export interface ScopedContext {
  readonly scope: Scope;
  readonly db: Db;
  readonly schemas: Schemas;
  readonly now: () => number;
  readonly write: Write;
  readonly embeddings: EmbeddingAccess;
}

/** A repository with the five scoped CRUD operations. */
interface CrudRepo<T, I, P, L> {
  create(scope: Scope, input: I, at: number): T;
  get(scope: Scope, id: string): T;
  list(scope: Scope, request: L): Page<T>;
  update(scope: Scope, id: string, patch: P, at: number): T;
  delete(scope: Scope, id: string): boolean;
}

interface CrudSpec<T, SI extends v.GenericSchema, SP extends v.GenericSchema, SL extends v.GenericSchema> {
  /** The API namespace, for messages (`agents` → 'agents.create: …'). */
  name: string;
  /** The table whose change event a write emits. */
  table: string;
  repo: (db: Db) => CrudRepo<T, v.InferOutput<SI>, v.InferOutput<SP>, v.InferOutput<SL>>;
  input: SI;
  patch: SP;
  list: SL;
}

/**
 * Validate, then read or write through the repository; creating writes make
 * the space row on first use. The methods take `unknown`: the schemas decide
 * what is accepted, so the result fits any `CrudApi` typed by them.
 */
export function crudApi<T, SI extends v.GenericSchema, SP extends v.GenericSchema, SL extends v.GenericSchema>(
  ctx: ScopedContext,
  spec: CrudSpec<T, SI, SP, SL>,
): CrudApi<T, unknown, unknown, unknown> {
  const { scope, db, schemas: s, write } = ctx;
  const { name, table } = spec;
  return {
    async create(input) {
      const value = check(spec.input, input, `${name}.create`);
      return write(table, (at) => spec.repo(db).create(scope, value, at), { createsSpace: true });
    },
    async get(id) {
      return spec.repo(db).get(scope, check(s.id, id, `${name}.get`));
    },
    async list(request) {
      return spec.repo(db).list(scope, check(spec.list, request, `${name}.list`));
    },
    async update(id, patch) {
      const key = check(s.id, id, `${name}.update`);
      const value = check(spec.patch, patch, `${name}.update`);
      return write(table, (at) => spec.repo(db).update(scope, key, value, at));
    },
    async delete(id) {
      const key = check(s.id, id, `${name}.delete`);
      return write(table, () => spec.repo(db).delete(scope, key));
    },
  };
}
