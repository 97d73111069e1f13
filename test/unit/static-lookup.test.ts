import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateMessages, mulberry32, vocabularyFrom } from '../../bench/data';
import { lookupTokenizer, pooledUnit, type TokenizerJson } from '../../src/embed-worker/static-lookup';
import { createNodeEmbedder } from '../../src/node/embedder';

const MODELS_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));
const MODEL = 'mnemo-glove-100d';
const tokenizerJson = JSON.parse(readFileSync(`${MODELS_DIR}${MODEL}/tokenizer.json`, 'utf8')) as TokenizerJson;
const words = vocabularyFrom(tokenizerJson as { model: { vocab: Record<string, number> } }, 30_000);

/** Texts that exercise every step of the normaliser and pre-tokenizer, and truncation. */
function hostileTexts(): string[] {
  const random = mulberry32(99);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const pieces = [
    'Café', 'CRÈME', 'naïve', 'Zürich', 'résumé', 'ÉCOLE', 'İstanbul', 'ß', 'ﬁne', 'Ωmega', '中文', '查询', '日本語', 'تعليم', 'עברית', '한국어',
    '😀', '👩‍💻', '\u0301', 'e\u0301', '\u200b', '\u200d', '\ufeff', '\u00ad', '\u0000', '\ufffd', '\ue000', '\ud800', '\udc00', '\t', '\n', '\r', '\v', '\f',
    '\u00a0', '\u2003', '\u3000', '\u2028', '\u0085', '[CLS]', '[SEP]', '[UNK]', '[PAD]', '[[SEP]]', '[cls]', "don't", 'e-mail', 'U.S.A.', '3.14', '1,000',
    '#tag', '@user', 'http://example.com/a?b=c', '…', '—', '“quoted”', '«guillemets»', '¿qué?', '¡hola!', '$5', '100%', 'a_b', 'x'.repeat(101),
    'é'.repeat(60), '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'Ⅻ', '①', '½', 'ＦＵＬＬＷＩＤＴＨ', 'ǅ', 'ﬀ',
  ];
  const texts: string[] = [];
  for (let i = 0; i < 600; i++) {
    const n = 1 + Math.floor(random() * 40);
    const parts = Array.from({ length: n }, () => (random() < 0.5 ? pick(words) : pick(pieces)));
    const glue = pick([' ', '', '  ', '\n', ', ', '.']);
    texts.push(parts.join(glue));
  }
  // Past model_max_length (1,024 tokens): truncation must cut where the tokenizer cuts.
  texts.push(Array.from({ length: 1_500 }, () => pick(words)).join(' '));
  texts.push(Array.from({ length: 1_200 }, (_, i) => (i % 3 ? pick(words) : '.')).join(' '));
  texts.push(Array.from({ length: 1_100 }, () => '中').join(''));
  return texts;
}

let extractor: FeatureExtractionPipeline;
const config = JSON.parse(readFileSync(`${MODELS_DIR}${MODEL}/tokenizer_config.json`, 'utf8')) as { model_max_length: number };

beforeAll(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = MODELS_DIR;
  extractor = await pipeline('feature-extraction', MODEL);
});

describe('static lookup', () => {
  test('gives the model tokenizer’s ids on chat text, Unicode edge cases, special tokens and truncation', () => {
    const tokens = lookupTokenizer(tokenizerJson, config.model_max_length)!;
    expect(tokens).toBeDefined();
    const texts = [...generateMessages(words, 400).map((m) => m.content), ...hostileTexts()];
    let long = 0;
    for (const text of texts) {
      const expected = extractor.tokenizer(text, { truncation: true }).input_ids.tolist()[0]!.map(Number);
      if (expected.length === config.model_max_length) long += 1;
      expect({ text, ids: tokens.tokenIds(text) }).toEqual({ text, ids: expected });
    }
    expect(long).toBeGreaterThanOrEqual(3);
  });

  test('the embedder’s vectors equal the pipeline’s bit for bit, in a fraction of the time', async () => {
    const embedder = await createNodeEmbedder({ modelId: MODEL, modelBaseUrl: MODELS_DIR });
    expect(embedder.runtime).toBe('static-lookup');
    const texts = [...generateMessages(words, 300, 5).map((m) => m.content), ...hostileTexts().slice(0, 200), ''];
    const started = performance.now();
    const fast = await embedder.embed(texts);
    const fastMs = performance.now() - started;
    const began = performance.now();
    const slow: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 32) {
      const output = await extractor(texts.slice(i, i + 32), { pooling: 'mean', normalize: true });
      const data = output.data as Float32Array;
      for (let j = 0; j < Math.min(32, texts.length - i); j++) {
        const v = data.slice(j * 100, (j + 1) * 100);
        slow.push(Number.isFinite(v[0]) ? v : v.fill(0));
      }
    }
    const slowMs = performance.now() - began;
    expect(fast.length).toBe(texts.length);
    for (let i = 0; i < texts.length; i++) expect([...fast[i]!]).toEqual([...slow[i]!]);
    expect(fast.at(-1)!.every((v) => v === 0)).toBe(true);
    // Printed, never asserted (timings are noisy here): the reason this path exists.
    console.log(`static lookup: ${texts.length} texts in ${fastMs.toFixed(0)} ms; pipeline ${slowMs.toFixed(0)} ms`);
    await embedder.dispose?.();
  });

  test('pooling rounds as transformers.js does and gives the zero vector for rows that are all zero', () => {
    const rows = Float32Array.from([0, 0, 0.1, 0.2, 0.3, -0.7]);
    const v = pooledUnit(rows, 2, [0, 1, 2]);
    const norm = Math.hypot(v[0]!, v[1]!);
    expect(norm).toBeCloseTo(1, 6);
    expect(v[0]! / v[1]!).toBeCloseTo(0.4 / -0.5, 6);
    expect([...pooledUnit(rows, 2, [0, 0])]).toEqual([0, 0]);
  });

  test('the test model takes the lookup too; cls pooling and models without the marker keep the pipeline', async () => {
    const test32 = await createNodeEmbedder({ modelId: 'mnemo-test-32d', modelBaseUrl: MODELS_DIR });
    expect(test32.runtime).toBe('static-lookup');
    const cls = await createNodeEmbedder({ modelId: 'mnemo-test-32d', modelBaseUrl: MODELS_DIR, pooling: 'cls' });
    expect(cls.runtime).toBe('onnx');
    const copy = mkdtempSync(join(tmpdir(), 'mnemo-model-'));
    cpSync(`${MODELS_DIR}mnemo-test-32d`, join(copy, 'mnemo-test-32d'), { recursive: true });
    const configPath = join(copy, 'mnemo-test-32d', 'config.json');
    const { mnemo_static_lookup: _marker, ...unmarked } = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify(unmarked));
    const plain = await createNodeEmbedder({ modelId: 'mnemo-test-32d', modelBaseUrl: `${copy}/` });
    expect(plain.runtime).toBe('onnx');
    const sample = ['Lisbon trams in spring', 'café crème', ''];
    expect((await plain.embed(sample)).map((v) => [...v])).toEqual((await test32.embed(sample)).map((v) => [...v]));
    await Promise.all([test32.dispose?.(), cls.dispose?.(), plain.dispose?.()]);
    rmSync(copy, { recursive: true, force: true });
  });

  test('a tokenizer of another shape is not taken over', () => {
    const withPieces = structuredClone(tokenizerJson);
    withPieces.model!.vocab = { ...withPieces.model!.vocab, '##ing': 99_999 };
    expect(lookupTokenizer(withPieces, 512)).toBeUndefined();
    expect(lookupTokenizer({ ...tokenizerJson, normalizer: { type: 'BertNormalizer', lowercase: false } }, 512)).toBeUndefined();
    expect(lookupTokenizer({ ...tokenizerJson, pre_tokenizer: { type: 'Whitespace' } }, 512)).toBeUndefined();
    expect(lookupTokenizer(tokenizerJson, Number.NaN)).toBeUndefined();
  });
});
