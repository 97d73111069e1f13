import { defineConfig } from 'vite';
import { mnemo } from './src/vite/index.ts';
import { ortAssets } from './src/vite/ort-assets.ts';

export default defineConfig({
  plugins: [mnemo(), ortAssets()],
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
});
