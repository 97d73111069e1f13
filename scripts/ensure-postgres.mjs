// Installs Debian's PostgreSQL server when missing; the sync server's tests
// and the sync benchmark start a throwaway cluster from its binaries.
// `node scripts/ensure-postgres.mjs` installs; postgresBinDir() finds the
// binaries; startCluster() runs a throwaway cluster.
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster in a temp folder on a free port (unix socket
 * in the same folder), fsync off. initdb refuses to run as root, so as root
 * the cluster belongs to the `postgres` system user the Debian package creates.
 */
export async function startCluster() {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: run node scripts/ensure-postgres.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-pg-'));
  const asRoot = process.getuid?.() === 0;
  const command = (tool, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]);
  const run = (tool, args) => execFileSync(...command(tool, args), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const port = await freePort();
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'mnemo', '-E', 'UTF8', '--no-sync']);
  // fsync off: a throwaway cluster trades durability for speed.
  run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, '-l', join(dir, 'log'), '-w', 'start']);
  let stopped = false;
  return {
    url: `postgres://mnemo@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      if (stopped) return;
      stopped = true;
      // Never throws: a teardown error fails the whole test run although every test passed.
      const fast = spawnSync(...command('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']), { stdio: 'ignore' });
      if (fast.status !== 0) spawnSync(...command('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (error) {
        console.warn(`the throwaway PostgreSQL cluster in ${dir} was not removed: ${error.message}`);
      }
    },
  };
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
