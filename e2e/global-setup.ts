import { execSync } from 'node:child_process';

/** Builds the app once for all browser tests unless the caller already did. */
export default function setup(): void {
  if (process.env.MNEMO_SKIP_BUILD === '1') return;
  execSync('npx vite build --logLevel warn', { stdio: 'inherit' });
}
