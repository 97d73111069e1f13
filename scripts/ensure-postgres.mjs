// Installs Debian's PostgreSQL server when missing; the sync server's tests
// start a throwaway cluster from its binaries (test/server/global-setup.ts).
// `node scripts/ensure-postgres.mjs` installs; postgresBinDir() finds the binaries.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = '/usr/lib/postgresql';
const MIN_VERSION = 15;

/** The bin folder of the newest installed PostgreSQL (15 or later) that has initdb, or null. */
export function postgresBinDir() {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  if (!existsSync(ROOT)) return null;
  const versions = readdirSync(ROOT)
    .map(Number)
    .filter((v) => v >= MIN_VERSION && existsSync(join(ROOT, String(v), 'bin', 'initdb')))
    .sort((a, b) => b - a);
  return versions.length > 0 ? join(ROOT, String(versions[0]), 'bin') : null;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !postgresBinDir()) {
  console.log('Installing postgresql with apt-get…');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql`, { stdio: 'inherit' });
  if (!postgresBinDir()) {
    console.error(`postgresql was installed but no initdb was found under ${ROOT}/<version>/bin`);
    process.exit(1);
  }
}
