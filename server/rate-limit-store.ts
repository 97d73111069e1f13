import { callbackify } from 'node:util';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Pool } from 'pg';

/**
 * A store for @fastify/rate-limit that keeps its fixed-window counters in
 * PostgreSQL, so the limit holds across every instance behind the load
 * balancer (the plugin's default store counts per process).
 */
export function postgresStore(pool: Pool, prefix = ''): FastifyRateLimitStoreCtor {
  let calls = 0;
  const count = callbackify(async (key: string, timeWindow: number) => {
    // Now and then, forget the counters of clients not seen for a day, so the table stays small.
    calls += 1;
    if (calls % 500 === 0) await pool.query("DELETE FROM rate_limits WHERE window_start < now() - interval '1 day'");
    const { rows } = await pool.query<{ hits: number; ttl: number }>(
      `INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, now(), 1)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limits.window_start <= now() - $2 * interval '1 millisecond' THEN 1 ELSE rate_limits.hits + 1 END,
         window_start = CASE WHEN rate_limits.window_start <= now() - $2 * interval '1 millisecond' THEN now() ELSE rate_limits.window_start END
       RETURNING hits, GREATEST(0, $2 - EXTRACT(EPOCH FROM now() - window_start) * 1000)::float8 AS ttl`,
      [prefix + key, timeWindow],
    );
    return { current: rows[0]!.hits, ttl: Math.ceil(rows[0]!.ttl) };
  });

  return class PostgresStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      count(key, timeWindow, (error, result) => callback(error, result));
    }

    child(routeOptions: { path: string; method: string | string[] }): FastifyRateLimitStore {
      const Child = postgresStore(pool, `${prefix}${String(routeOptions.method)} ${routeOptions.path}|`);
      return new Child({});
    }
  };
}
