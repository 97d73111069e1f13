import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import HtmlWebpackPlugin from 'html-webpack-plugin';

const here = dirname(fileURLToPath(import.meta.url));

// COOP/COEP: OPFS, SharedArrayBuffer and the ONNX runtime's threads need a
// cross-origin-isolated page. Send the same headers from the production server.
const headers = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Nothing Mnemo-specific to configure: webpack 5 follows the package's
// `new Worker(new URL('./…', import.meta.url), { type: 'module' })` and
// `new URL('./file.wasm', import.meta.url)` and emits the workers, SQLite's
// wasm, the ONNX runtime and the model as files of the build.
export default {
  mode: 'production',
  entry: './src/main.js',
  output: { path: resolve(here, 'dist'), filename: '[name].[contenthash].js', clean: true },
  plugins: [new HtmlWebpackPlugin({ template: './src/index.html', scriptLoading: 'module' })],
  performance: { hints: false },
  devServer: { headers },
};
