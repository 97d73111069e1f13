/**
 * The wire format of sync (docs/sync.md), as JSON schemas Fastify validates
 * every body and query against before a handler runs.
 */

/** The Mnemo tables whose rows sync. Derived tables (indexes, queues) are rebuilt on each device. */
export const SYNCED_TABLES = [
  'agents',
  'sessions',
  'conversations',
  'messages',
  'memories',
  'vector_entries',
  'stores',
  'contents',
  'chunks',
  'settings',
  'agent_executions',
] as const;

export const LIMITS = {
  maxChangesPerPush: 500,
  maxPullPage: 1000,
  defaultPullPage: 200,
  maxBodyBytes: 8 * 1024 * 1024,
  maxEmbeddingDims: 4096,
  /** A change stamped further ahead of the server clock than this is refused: it would win every conflict. */
  maxClockAheadMs: 60 * 60 * 1000,
} as const;

export interface ChangeRecord {
  id: string;
  table: (typeof SYNCED_TABLES)[number];
  rowId: string;
  hlc: string;
  device: string;
  deleted: boolean;
  data: Record<string, unknown> | null;
  embedding?: { model: string; dims: number; vector: string };
}

const ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' } as const;
/**
 * A row's id: an app id of up to 128 characters, or one outside the id rule sent as `x:` + the hex
 * of its UTF-8 (at most 3 bytes per UTF-16 unit, so 2 + 128 × 6 characters; docs/sync.md).
 */
export const MAX_ROW_ID = 2 + 128 * 6;
const ROW_ID = { type: 'string', minLength: 1, maxLength: MAX_ROW_ID, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' } as const;
const PASSWORD = { type: 'string', minLength: 10, maxLength: 256 } as const;

export const schemas = {
  signUp: {
    type: 'object',
    required: ['name', 'password', 'signupCode'],
    additionalProperties: false,
    properties: { name: NAME, password: PASSWORD, signupCode: { type: 'string', minLength: 1, maxLength: 256 } },
  },
  signIn: {
    type: 'object',
    required: ['name', 'password', 'device'],
    additionalProperties: false,
    properties: { name: NAME, password: PASSWORD, device: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  createSpace: {
    type: 'object',
    required: ['id', 'name'],
    additionalProperties: false,
    properties: { id: ID, name: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  spaceParams: { type: 'object', required: ['spaceId'], properties: { spaceId: ID } },
  grantParams: { type: 'object', required: ['spaceId', 'userName'], properties: { spaceId: ID, userName: NAME } },
  deviceParams: { type: 'object', required: ['deviceId'], properties: { deviceId: { type: 'string', format: 'uuid' } } },
  grant: {
    type: 'object',
    required: ['access'],
    additionalProperties: false,
    properties: { access: { enum: ['read', 'write'] } },
  },
  push: {
    type: 'object',
    required: ['changes'],
    additionalProperties: false,
    properties: {
      changes: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.maxChangesPerPush,
        items: {
          type: 'object',
          required: ['id', 'table', 'rowId', 'hlc', 'device', 'deleted'],
          additionalProperties: false,
          properties: {
            id: ID,
            table: { enum: SYNCED_TABLES },
            rowId: ROW_ID,
            hlc: { type: 'string', pattern: '^[0-9]{13}-[0-9]{5}$' },
            device: ID,
            deleted: { type: 'boolean' },
            data: { type: ['object', 'null'] },
            embedding: {
              type: 'object',
              required: ['model', 'dims', 'vector'],
              additionalProperties: false,
              properties: {
                model: { type: 'string', minLength: 1, maxLength: 200 },
                dims: { type: 'integer', minimum: 1, maximum: LIMITS.maxEmbeddingDims },
                vector: { type: 'string', maxLength: Math.ceil((LIMITS.maxEmbeddingDims * 4) / 3) + 4, pattern: '^[A-Za-z0-9+/]*={0,2}$' },
              },
            },
          },
        },
      },
    },
  },
  search: {
    type: 'object',
    required: ['q'],
    additionalProperties: false,
    properties: {
      q: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' },
      limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|100)$', default: '20' },
    },
  },
  pull: {
    type: 'object',
    additionalProperties: false,
    properties: {
      after: { type: 'string', pattern: '^(0|[1-9][0-9]{0,17})$', default: '0' },
      // Query values are text; 1 to 1000.
      limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$', default: String(LIMITS.defaultPullPage) },
    },
  },
} as const;

/**
 * What JSON schema cannot say: data present exactly when not deleted, a
 * vector of the stated length, a clock not far ahead of the server's.
 * Returns the first problem, naming the field, or null.
 */
export function checkChanges(changes: ChangeRecord[], serverNow: number): string | null {
  const seen = new Set<string>();
  for (const [i, change] of changes.entries()) {
    const at = `changes/${i}`;
    if (seen.has(change.id)) return `${at}/id repeats an earlier change of this batch`;
    seen.add(change.id);
    if (change.deleted && change.data != null) return `${at}/data must be null or absent for a delete`;
    if (!change.deleted && change.data == null) return `${at}/data is required unless deleted`;
    if (change.deleted && change.embedding) return `${at}/embedding must be absent for a delete`;
    if (change.embedding && Buffer.from(change.embedding.vector, 'base64').length !== change.embedding.dims * 4) {
      return `${at}/embedding/vector must hold dims float32 values`;
    }
    if (Number(change.hlc.slice(0, 13)) > serverNow + LIMITS.maxClockAheadMs) {
      return `${at}/hlc is more than an hour ahead of the server clock; check the device's clock`;
    }
  }
  return null;
}
