import { execSync } from 'node:child_process';

/** Builds the app once for all browser tests unless the caller already did. */
export default function setup(): void {
  if (process.env.MNEMO_SKIP_BUILD === '1') return;
  const outDir = process.env.MNEMO_DIST ?? 'dist';
  execSync(`npx vite build --logLevel warn --outDir ${outDir} --emptyOutDir`, { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
