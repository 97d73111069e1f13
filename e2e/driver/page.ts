/** Test-only page: starts the driver-check worker and hands it to the test as `window.driverChecks`. */
import * as Comlink from 'comlink';
import type { DriverCheckWorker } from './worker';

declare global {
  interface Window {
    driverChecks?: Comlink.Remote<DriverCheckWorker>;
  }
}

window.driverChecks = Comlink.wrap<DriverCheckWorker>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'driver-checks' }));
