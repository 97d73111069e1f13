import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { hashPassword, newToken, sameSecret, tokenHash, verifyPassword } from './auth.js';
import { type ChangeRecord, checkChanges, LIMITS, schemas } from './protocol.js';
import { postgresStore } from './rate-limit-store.js';
import { accessOf, pull, push, search } from './sync.js';

export interface ServerOptions {
  pool: Pool;
  /** Sign-up requires this code; without one, sign-up is closed. */
  signupCode?: string | undefined;
  /** Requests per minute per client address on the sign-up and sign-in endpoints. */
  authRateLimit?: number;
  /** Fastify's logger option: `true` for JSON lines on stdout. */
  logger?: boolean | { level: string };
  /** Behind a TLS proxy: trust its X-Forwarded-For for the client address the rate limit counts. */
  trustProxy?: boolean;
  /**
   * Origins of the Mnemo apps whose pages may call this server (CORS), or '*'
   * (default): requests carry a bearer token, never cookies, so a page of
   * another origin gains nothing it does not already hold.
   */
  corsOrigins?: readonly string[] | '*';
}

interface Caller {
  userId: string;
  deviceId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

type ErrorCode = 'INVALID_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED' | 'INTERNAL';

const send = (reply: FastifyReply, status: number, code: ErrorCode, message: string) => reply.code(status).send({ code, message });

/** The HTTP service; state lives only in PostgreSQL, so any number of these can share one database. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { pool } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: LIMITS.maxBodyBytes,
    trustProxy: options.trustProxy ?? false,
    // No coercion: a number where a string belongs is a malformed body, not a string.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.decorateRequest('caller', null);

  // An idle pooled connection that PostgreSQL closes (a restart, a failover, an administrator) emits
  // 'error' on the pool; without a listener that is an uncaught exception and the process dies. The
  // pool drops that client and opens another on the next query, so it is logged, not fatal.
  // The listener stays for the pool's life: a connection still closing after the app has closed can
  // report its end the same way.
  pool.on('error', (error: Error) => app.log.warn({ err: error }, 'an idle database connection was closed by the server'));

  // During close(), replies to the requests still in flight close their
  // keep-alive connection, so a graceful shutdown does not wait on idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // CORS: the app runs in the browser on its own origin. Preflights are answered here, before routing.
  const cors = options.corsOrigins ?? '*';
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || (cors !== '*' && !cors.includes(origin))) return;
    reply.header('access-control-allow-origin', cors === '*' ? '*' : origin);
    if (cors !== '*') reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'retry-after');
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE');
      reply.header('access-control-allow-headers', 'authorization, content-type');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });

  // Every failure leaves as `{code, message}`; messages name the field, never echo values or SQL.
  app.setErrorHandler((error: { validation?: unknown; statusCode?: number; code?: string; message: string }, request, reply) => {
    if (error.validation) return send(reply, 400, 'INVALID_INPUT', error.message);
    if (error.statusCode === 429) return send(reply, 429, 'RATE_LIMITED', error.message);
    // Parser messages can quote the body (V8's JSON errors do), so these get fixed sentences.
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      const message =
        error.statusCode === 413
          ? `the body is larger than ${LIMITS.maxBodyBytes} bytes`
          : error.statusCode === 415
            ? 'the body must be application/json'
            : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'the body is not valid JSON'
              : 'the request is malformed';
      return send(reply, error.statusCode, 'INVALID_INPUT', message);
    }
    request.log.error({ err: error }, 'request failed');
    return send(reply, 500, 'INTERNAL', 'the server failed to handle the request');
  });
  app.setNotFoundHandler((_request, reply) => send(reply, 404, 'NOT_FOUND', 'no such endpoint'));

  await app.register(rateLimit, { global: false, store: postgresStore(pool) });
  const authLimit = { rateLimit: { max: options.authRateLimit ?? 10, timeWindow: 60_000 } };

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) return send(reply, 401, 'UNAUTHENTICATED', 'an Authorization: Bearer <device token> header is required');
    const { rows } = await pool.query<{ id: string; user_id: string }>(
      'UPDATE devices SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id, user_id',
      [tokenHash(token)],
    );
    if (!rows[0]) return send(reply, 401, 'UNAUTHENTICATED', 'the device token is unknown or was revoked');
    request.caller = { userId: rows[0].user_id, deviceId: rows[0].id };
  };
  const callerOf = (request: FastifyRequest): Caller => {
    if (!request.caller) throw new Error('route without authentication');
    return request.caller;
  };

  app.get('/health', async (_request, reply) => {
    const { rows } = await pool.query<{ version: number }>('SELECT max(version) AS version FROM server_migrations');
    return reply.send({ ok: true, schemaVersion: rows[0]?.version ?? 0 });
  });

  app.post<{ Body: { name: string; password: string; signupCode: string } }>(
    '/accounts',
    { schema: { body: schemas.signUp }, config: authLimit },
    async (request, reply) => {
      if (!options.signupCode || !sameSecret(request.body.signupCode, options.signupCode)) {
        return send(reply, 403, 'FORBIDDEN', 'sign-up needs the signup code this server was started with');
      }
      const id = randomUUID();
      const inserted = await pool.query('INSERT INTO users (id, name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
        id,
        request.body.name,
        await hashPassword(request.body.password),
      ]);
      if (inserted.rowCount === 0) return send(reply, 409, 'CONFLICT', 'that account name is taken');
      return reply.code(201).send({ userId: id, name: request.body.name });
    },
  );

  app.post<{ Body: { name: string; password: string; device: string } }>(
    '/tokens',
    { schema: { body: schemas.signIn }, config: authLimit },
    async (request, reply) => {
      const { rows } = await pool.query<{ id: string; password_hash: string }>('SELECT id, password_hash FROM users WHERE name = $1', [
        request.body.name,
      ]);
      const user = rows[0];
      if (!(await verifyPassword(request.body.password, user?.password_hash)) || !user) {
        return send(reply, 401, 'UNAUTHENTICATED', 'wrong account name or password');
      }
      const token = newToken();
      const deviceId = randomUUID();
      await pool.query('INSERT INTO devices (id, user_id, name, token_hash) VALUES ($1, $2, $3, $4)', [
        deviceId,
        user.id,
        request.body.device,
        tokenHash(token),
      ]);
      return reply.code(201).send({ token, deviceId, userId: user.id });
    },
  );

  app.register(async (authed) => {
    // Before parsing and validation: an unauthenticated request gets 401 and its body is never read.
    authed.addHook('onRequest', authenticate);

    authed.get('/me', async (request) => {
      const { userId, deviceId } = callerOf(request);
      const { rows } = await pool.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [userId]);
      return { userId, deviceId, name: rows[0]?.name };
    });

    authed.get('/devices', async (request) => {
      const { rows } = await pool.query(
        `SELECT id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
         FROM devices WHERE user_id = $1 ORDER BY created_at`,
        [callerOf(request).userId],
      );
      return { devices: rows };
    });

    authed.delete<{ Params: { deviceId: string } }>('/devices/:deviceId', { schema: { params: schemas.deviceParams } }, async (request, reply) => {
      const revoked = await pool.query('UPDATE devices SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [
        request.params.deviceId,
        callerOf(request).userId,
      ]);
      if (revoked.rowCount === 0) return send(reply, 404, 'NOT_FOUND', 'no such active device on this account');
      return reply.code(204).send();
    });

    authed.get('/spaces', async (request) => {
      const { rows } = await pool.query(
        `SELECT s.id, s.name, g.access FROM grants g JOIN spaces s ON s.id = g.space_id WHERE g.user_id = $1 ORDER BY s.id`,
        [callerOf(request).userId],
      );
      return { spaces: rows };
    });

    authed.post<{ Body: { id: string; name: string } }>('/spaces', { schema: { body: schemas.createSpace } }, async (request, reply) => {
      const { userId } = callerOf(request);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const created = await client.query('INSERT INTO spaces (id, name, owner_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
          request.body.id,
          request.body.name,
          userId,
        ]);
        if (created.rowCount === 1) await client.query("INSERT INTO grants (space_id, user_id, access) VALUES ($1, $2, 'owner')", [request.body.id, userId]);
        await client.query('COMMIT');
        if (created.rowCount === 1) return reply.code(201).send({ id: request.body.id, access: 'owner' });
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      // Creating a space one already owns is a no-op, so a client can retry it.
      if ((await accessOf(pool, request.body.id, userId)) === 'owner') return reply.code(200).send({ id: request.body.id, access: 'owner' });
      return send(reply, 409, 'CONFLICT', 'that space id is taken');
    });

    const ownerOnly = async (request: FastifyRequest<{ Params: { spaceId: string } }>, reply: FastifyReply) => {
      const access = await accessOf(pool, request.params.spaceId, callerOf(request).userId);
      if (!access) return send(reply, 404, 'NOT_FOUND', 'no such space');
      if (access !== 'owner') return send(reply, 403, 'FORBIDDEN', 'only the owner of a space can change its grants');
    };

    authed.get<{ Params: { spaceId: string } }>('/spaces/:spaceId/grants', { schema: { params: schemas.spaceParams } }, async (request, reply) => {
      if (!(await accessOf(pool, request.params.spaceId, callerOf(request).userId))) return send(reply, 404, 'NOT_FOUND', 'no such space');
      const { rows } = await pool.query(
        'SELECT u.name AS "userName", g.access FROM grants g JOIN users u ON u.id = g.user_id WHERE g.space_id = $1 ORDER BY u.name',
        [request.params.spaceId],
      );
      return { grants: rows };
    });

    authed.put<{ Params: { spaceId: string; userName: string }; Body: { access: 'read' | 'write' } }>(
      '/spaces/:spaceId/grants/:userName',
      { schema: { params: schemas.grantParams, body: schemas.grant }, preHandler: ownerOnly },
      async (request, reply) => {
        const granted = await pool.query(
          `INSERT INTO grants (space_id, user_id, access) SELECT $1, id, $3 FROM users WHERE name = $2
           ON CONFLICT (space_id, user_id) DO UPDATE SET access = EXCLUDED.access WHERE grants.access <> 'owner'`,
          [request.params.spaceId, request.params.userName, request.body.access],
        );
        if (granted.rowCount === 0) return send(reply, 404, 'NOT_FOUND', 'no such user, or that user owns the space');
        return reply.code(204).send();
      },
    );

    authed.delete<{ Params: { spaceId: string; userName: string } }>(
      '/spaces/:spaceId/grants/:userName',
      { schema: { params: schemas.grantParams }, preHandler: ownerOnly },
      async (request, reply) => {
        const removed = await pool.query(
          `DELETE FROM grants g USING users u WHERE g.space_id = $1 AND g.user_id = u.id AND u.name = $2 AND g.access <> 'owner'`,
          [request.params.spaceId, request.params.userName],
        );
        if (removed.rowCount === 0) return send(reply, 404, 'NOT_FOUND', 'that user has no grant to remove');
        return reply.code(204).send();
      },
    );

    authed.post<{ Params: { spaceId: string }; Body: { changes: ChangeRecord[] } }>(
      '/spaces/:spaceId/push',
      { schema: { params: schemas.spaceParams, body: schemas.push } },
      async (request, reply) => {
        const changes = request.body.changes.map((c) => ({ ...c, data: c.data ?? null }));
        const problem = checkChanges(changes, Date.now());
        if (problem) return send(reply, 400, 'INVALID_INPUT', problem);
        const { userId, deviceId } = callerOf(request);
        const outcome = await push(pool, userId, deviceId, request.params.spaceId, changes);
        if (outcome.status === 'not-found') return send(reply, 404, 'NOT_FOUND', 'no such space');
        if (outcome.status === 'read-only') return send(reply, 403, 'FORBIDDEN', 'this account may only read this space');
        return { results: outcome.results, seq: outcome.seq };
      },
    );

    authed.get<{ Params: { spaceId: string }; Querystring: { after: string; limit: string } }>(
      '/spaces/:spaceId/pull',
      { schema: { params: schemas.spaceParams, querystring: schemas.pull } },
      async (request, reply) => {
        const page = await pull(pool, callerOf(request).userId, request.params.spaceId, request.query.after, Number(request.query.limit));
        if (!page) return send(reply, 404, 'NOT_FOUND', 'no such space');
        return page;
      },
    );

    authed.get<{ Params: { spaceId: string }; Querystring: { q: string; limit: string } }>(
      '/spaces/:spaceId/search',
      { schema: { params: schemas.spaceParams, querystring: schemas.search } },
      async (request, reply) => {
        const hits = await search(pool, callerOf(request).userId, request.params.spaceId, request.query.q, Number(request.query.limit));
        if (!hits) return send(reply, 404, 'NOT_FOUND', 'no such space');
        return { hits };
      },
    );
  });

  return app;
}
