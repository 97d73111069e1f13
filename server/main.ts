// `npm run server`: the sync server. Configuration from the environment:
// DATABASE_URL (required), PORT (8787), HOST (0.0.0.0), MNEMO_SIGNUP_CODE
// (sign-up closed without it), TRUST_PROXY=1 behind a TLS proxy, LOG_LEVEL.
import { join } from 'node:path';
import pg from 'pg';
import { buildServer } from './app.js';
import { migrate, readMigrations } from './migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(JSON.stringify({ level: 'fatal', msg: 'DATABASE_URL is required' }));
  process.exit(1);
}

const pool = new pg.Pool({ connectionString: url, max: Number(process.env.PG_POOL_SIZE ?? 10) });
const app = await buildServer({
  pool,
  signupCode: process.env.MNEMO_SIGNUP_CODE || undefined,
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  trustProxy: process.env.TRUST_PROXY === '1',
  ...(process.env.CORS_ORIGINS?.trim() ? { corsOrigins: process.env.CORS_ORIGINS.trim() === '*' ? '*' : process.env.CORS_ORIGINS.trim().split(/\s+/) } : {}),
});

try {
  // Run compiled from server/dist/; the SQL files stay in server/migrations/.
  const result = await migrate(pool, readMigrations(join(import.meta.dirname, '..', 'migrations')));
  app.log.info(result, 'schema ready');
  await app.listen({ port: Number(process.env.PORT ?? 8787), host: process.env.HOST ?? '0.0.0.0' });
} catch (error) {
  app.log.fatal({ err: error }, 'start failed');
  await pool.end();
  process.exit(1);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down: finishing requests in flight');
  // close() stops accepting connections and waits for the requests in flight.
  app
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
