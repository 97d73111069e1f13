// The e2e tests script the app through `window.mnemo` inside page.evaluate().
// The app entry (src/ui/main.ts) declares that global for the UI project;
// this Node-side program sees the UI only through its project reference, so
// the declaration is repeated here (identical, so the two merge).
import type { MnemoClient } from '../src/client';

declare global {
  interface Window {
    mnemo?: MnemoClient;
    mnemoReady?: Promise<MnemoClient>;
  }
}
