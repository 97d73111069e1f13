/**
 * Test-only worker: runs the shared driver checks (test/shared/driver-checks.ts)
 * on the product's opfs-sahpool driver, as the database worker creates it.
 */
import * as Comlink from 'comlink';
import { createSahPoolDriver } from '../../src/worker/engine/sahpool-driver';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { driverChecks, type DriverUnderTest } from '../../test/shared/driver-checks';

const driver = loadSqlite().then(createSahPoolDriver);
const prefix = (index: number) => `check${index}-`;

async function underTest(index: number): Promise<DriverUnderTest> {
  return { driver: await driver, persistent: true, journalMode: 'wal', file: (label) => `${prefix(index)}${label}` };
}

const api = {
  count: () => driverChecks.length,
  names: () => driverChecks.map((check) => ({ name: check.name, restarts: check.afterRestart !== undefined })),
  async run(index: number, phase: 'run' | 'afterRestart'): Promise<void> {
    const check = driverChecks[index];
    if (!check) throw new Error(`no check ${index}`);
    await check[phase]?.(await underTest(index));
  },
  /** Deletes the check's files (the pool is shared by every check of the run). */
  async cleanup(index: number): Promise<number> {
    const d = await driver;
    const mine = d.listFiles().filter((name) => name.replace(/^\//, '').startsWith(prefix(index)));
    for (const name of mine) d.deleteFile(name);
    return mine.length;
  },
};

export type DriverCheckWorker = typeof api;

Comlink.expose(api);
