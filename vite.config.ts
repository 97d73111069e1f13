import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { mnemo } from './src/vite/index.ts';
import { ortAssets } from './src/vite/ort-assets.ts';

export default defineConfig({
  plugins: [
    mnemo({ csp: true }),
    ortAssets(),
    // Service worker: precaches the whole build so the app opens offline (see
    // "PWA and service worker" in docs/decisions.md). Registered by src/ui/pwa.ts.
    VitePWA({
      strategies: 'generateSW',
      // Minified Workbox without debug logs, also when NODE_ENV is 'test'.
      mode: 'production',
      registerType: 'prompt',
      injectRegister: false,
      // public/manifest.webmanifest, linked from index.html.
      manifest: false,
      includeManifestIcons: false,
      workbox: {
        // App shell, JS (UI, database and embedding workers, lazy chunks), CSS,
        // sqlite3.wasm, the ONNX runtime under ort/, icons, manifest and both
        // bundled models. Source maps stay out.
        globPatterns: ['**/*.{html,js,mjs,css,wasm,webmanifest,png,svg}', 'models/**/*'],
        globIgnores: ['**/*.map', 'sw.js'],
        // ort-wasm-simd-threaded.wasm is ~14 MB.
        maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/(assets|ort|models|icons)\//],
        cleanupOutdatedCaches: true,
        // 'prompt': a new version waits until the user accepts (src/ui/pwa.ts).
        skipWaiting: false,
        clientsClaim: false,
        inlineWorkboxRuntime: true,
        sourcemap: false,
      },
    }),
  ],
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
});
