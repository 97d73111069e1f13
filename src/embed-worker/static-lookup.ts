/**
 * The fast path for static embedding models (a per-token lookup table, such
 * as the bundled mnemo-glove-100d): the vector of a text is the mean of its
 * tokens' rows, normalised. transformers.js computes the same through its
 * general machinery (a WordPiece tokenizer that tries every prefix of an
 * unknown word, a padded batch tensor, an ONNX session, pooling over the
 * padding), which cost 2 s per 1,000 chat messages; here it is a regex
 * split and one map lookup per word.
 *
 * Exactness is the contract: the same token ids as the model's own
 * tokenizer (BertNormalizer, BertPreTokenizer and a WordPiece vocabulary of
 * whole words, truncation at model_max_length), the rows read from the
 * model's own ONNX session, and mean pooling and L2 normalisation with
 * transformers.js' float32 rounding, so vectors agree bit for bit with the
 * pipeline (test/unit/static-lookup.test.ts compares both on thousands of
 * texts). A model qualifies only when its config.json says
 * `"mnemo_static_lookup": true` (scripts/build-static-model.mjs writes it)
 * and its tokenizer is of the shape handled here; any other model uses the
 * pipeline.
 */

/** BertPreTokenizer's punctuation: Unicode P* and the ASCII symbol ranges. */
const PUNCTUATION = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const PRE_TOKEN = new RegExp(`[^\\s${PUNCTUATION}]+|[${PUNCTUATION}]`, 'gu');
/** clean_text drops NUL, U+FFFD and control, format, private-use and lone surrogate characters, but not tab, LF, CR. */
const DROPPED = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
const WHITESPACE = /\s/g;
/** tokenize_chinese_chars tests UTF-16 units, so only the BMP ranges can match. */
const CJK = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/g;
const MARKS = /\p{Mn}/gu;
/** Printable ASCII needs none of the normaliser's steps but lowercasing. */
const PLAIN = /^[\x20-\x7E]*$/;
const MAX_INPUT_CHARS_PER_WORD = 100;

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
/** Length in code points, as WordPiece counts a word's characters. */
const codePoints = (word: string) => word.length - (word.match(SURROGATE_PAIR)?.length ?? 0);

/** The parts of a tokenizer.json this path reads, and understands. */
export interface TokenizerJson {
  normalizer?: { type?: string; clean_text?: boolean; handle_chinese_chars?: boolean; strip_accents?: boolean | null; lowercase?: boolean } | null;
  pre_tokenizer?: { type?: string } | null;
  post_processor?: { type?: string; single?: unknown[] } | null;
  model?: { type?: string; unk_token?: string; max_input_chars_per_word?: number; vocab?: Record<string, number> };
  added_tokens?: Array<{ id: number; content: string; normalized?: boolean; lstrip?: boolean; rstrip?: boolean }>;
}

export interface StaticLookup {
  readonly dims: number;
  /** Token ids of a text as the model's tokenizer gives them: [CLS] … [SEP], cut at the maximum length. */
  tokenIds(text: string): number[];
  /** The unit vector of a text (the zero vector when no token has a row). */
  embed(text: string): Float32Array;
}

/**
 * A tokenizer this path reproduces exactly: BertNormalizer (lowercase,
 * accents stripped), BertPreTokenizer, WordPiece whose vocabulary has no
 * continuation pieces (so a word is itself or [UNK]), [CLS] x [SEP], and
 * special tokens that are matched before normalisation. Undefined otherwise.
 */
export function lookupTokenizer(json: TokenizerJson, maxTokens: number) {
  const { normalizer, pre_tokenizer: pre, post_processor: post, model } = json;
  if (normalizer?.type !== 'BertNormalizer' || normalizer.lowercase !== true || normalizer.strip_accents === false) return undefined;
  if (pre?.type !== 'BertPreTokenizer' || model?.type !== 'WordPiece' || !model.vocab || !model.unk_token) return undefined;
  if (post?.type !== 'TemplateProcessing' || JSON.stringify(post.single?.map((p) => Object.keys(p as object)[0])) !== '["SpecialToken","Sequence","SpecialToken"]') return undefined;
  const added = json.added_tokens ?? [];
  if (added.some((t) => t.normalized || t.lstrip || t.rstrip)) return undefined;
  const vocab = new Map<string, number>();
  for (const [word, id] of Object.entries(model.vocab)) {
    if (word.startsWith('##')) return undefined;
    vocab.set(word, id);
  }
  const special = (i: number) => ((post.single![i] as { SpecialToken: { id: string } }).SpecialToken.id);
  const cls = vocab.get(special(0));
  const sep = vocab.get(special(2));
  const unk = vocab.get(model.unk_token);
  if (cls === undefined || sep === undefined || unk === undefined || !Number.isInteger(maxTokens) || maxTokens < 2) return undefined;
  const maxChars = model.max_input_chars_per_word ?? MAX_INPUT_CHARS_PER_WORD;
  const cleanText = normalizer.clean_text === true;
  const chinese = normalizer.handle_chinese_chars === true;
  const specials = new Map(added.map((t) => [t.content, t.id]));
  // Special tokens are cut out of the raw text first, longest match at each position (DictionarySplitter).
  const specialPattern = specials.size
    ? new RegExp([...specials.keys()].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
    : undefined;

  const normalize = (text: string): string => {
    if (PLAIN.test(text)) return text.toLowerCase();
    if (cleanText) text = text.replace(DROPPED, '').replace(WHITESPACE, ' ');
    if (chinese) text = text.replace(CJK, ' $& ');
    return text.toLowerCase().normalize('NFD').replace(MARKS, '');
  };
  const wordIds = (section: string, out: number[]) => {
    const normalized = normalize(section);
    if (normalized.length === 0) return;
    for (const word of normalized.trim().match(PRE_TOKEN) ?? []) {
      // A word longer than the limit in code points is one [UNK]; only a long UTF-16 string can be.
      const tooLong = word.length > maxChars && codePoints(word) > maxChars;
      out.push(tooLong ? unk : (vocab.get(word) ?? unk));
    }
  };

  return {
    tokenIds(text: string): number[] {
      const ids = [cls];
      if (specialPattern) {
        let from = 0;
        for (const m of text.matchAll(specialPattern)) {
          if (m.index > from) wordIds(text.slice(from, m.index), ids);
          ids.push(specials.get(m[0])!);
          from = m.index + m[0].length;
        }
        if (from < text.length) wordIds(text.slice(from), ids);
      } else wordIds(text, ids);
      ids.push(sep);
      if (ids.length > maxTokens) ids.length = maxTokens;
      return ids;
    },
  };
}

/**
 * Mean pooling and normalisation over the rows of `ids`, rounded as
 * transformers.js rounds them: the sum in double precision and the mean
 * stored as float32; the norm accumulated in a float32; each value divided
 * and stored as float32. All-zero rows give the zero vector, as the
 * pipeline's NaN does after unitOrZero.
 */
export function pooledUnit(rows: Float32Array, dims: number, ids: number[]): Float32Array {
  const out = new Float32Array(dims);
  for (let k = 0; k < dims; k++) {
    let sum = 0;
    for (const id of ids) sum += rows[id * dims + k]!;
    out[k] = sum / ids.length;
  }
  let norm = 0;
  for (let k = 0; k < dims; k++) norm = Math.fround(norm + out[k]! ** 2);
  norm = Math.fround(norm ** 0.5);
  if (!(norm > 0)) return out.fill(0);
  for (let k = 0; k < dims; k++) out[k] = out[k]! / norm;
  return out;
}

/** A static model from its tokenizer and its rows (one per vocabulary id). */
export function staticLookup(tokenizer: NonNullable<ReturnType<typeof lookupTokenizer>>, rows: Float32Array, dims: number): StaticLookup {
  return {
    dims,
    tokenIds: (text) => tokenizer.tokenIds(text),
    embed: (text) => pooledUnit(rows, dims, tokenizer.tokenIds(text)),
  };
}
