/**
 * The shared storage-driver checks (test/shared/driver-checks.ts) on the
 * memory driver in Node. e2e/driver.test.ts runs the same list on
 * opfs-sahpool in Chromium.
 */
import { describe, test } from 'vitest';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { driverChecks, type DriverUnderTest } from '../shared/driver-checks';

async function memory(check: number): Promise<DriverUnderTest> {
  return {
    driver: createMemoryDriver(await loadSqlite()),
    persistent: false,
    journalMode: 'memory',
    file: (label) => `check${check}-${label}`,
  };
}

describe('storage driver: memory', () => {
  driverChecks.forEach((check, i) => {
    test(check.name, async () => {
      const t = await memory(i);
      await check.run(t);
      // A restart is a new driver over the same storage; for memory that storage is gone.
      if (check.afterRestart) await check.afterRestart(await memory(i));
    });
  });
});
