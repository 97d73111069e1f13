/**
 * App entry: connects to the database worker and exposes the client as
 * `window.mnemo` for scripting from the console.
 */
import { openMnemo, type MnemoClient } from '../client';
import './mn-app';
import { setBusyProbe, startPwa } from './pwa';
import { applyTheme, savedTheme } from './mn-settings';

applyTheme(savedTheme());
startPwa();

declare global {
  interface Window {
    mnemo?: MnemoClient;
    mnemoReady?: Promise<MnemoClient>;
  }
}

const app = document.querySelector('mn-app');
const params = new URLSearchParams(location.search);
const storage = params.get('storage') === 'memory' ? 'memory' : 'opfs';

window.mnemoReady = openMnemo({ storage });
window.mnemoReady.then(
  (client) => {
    window.mnemo = client;
    setBusyProbe(() => client.pendingCalls() > 0);
    if (app) app.client = client;
  },
  (error: unknown) => {
    if (app) app.failure = String((error as { message?: string }).message ?? error);
  },
);
