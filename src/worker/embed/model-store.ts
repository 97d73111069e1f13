/**
 * Imported embedding models: transformers.js model folders the user picked,
 * kept in one directory (`mnemo-models/` in the origin-private file system in
 * browsers, see opfs-dir.ts; any folder in Node, see src/node/) with a small
 * JSON index:
 *
 *   mnemo-models/index.json          {"version":1,"models":[{id, folder, dims, dtype?, files, installedAt}]}
 *   mnemo-models/<folder>/config.json, tokenizer.json, onnx/model.onnx, …
 *
 * Each install writes a fresh folder and then replaces the index, so a
 * crash mid-install leaves at most an unreferenced folder, which the next
 * start removes; the index always names complete folders.
 */
import type { ModelFile, ModelInfo } from '../../shared/api';
import { fail, MnemoFailure } from '../../shared/errors';

const INDEX_FILE = 'index.json';
const INDEX_VERSION = 1;
const MAX_FILES = 1000;
const MAX_SEGMENT = 255;

export interface StoredFile {
  path: string;
  size: number;
}

/** One imported model as the index records it. */
export interface StoredModel {
  id: string;
  /** The folder (one path segment) under the store's directory holding the files. */
  folder: string;
  /** config.json's hidden_size, or null when it names none. */
  dims: number | null;
  /** The transformers.js dtype to load, chosen at import when config.json names none. */
  dtype?: string;
  files: StoredFile[];
  installedAt: number;
}

/** The file operations the store needs; paths are '/'-separated and relative to the store's directory. */
export interface StoreDir {
  /** The file's bytes, or undefined if it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Creates parent folders and replaces the whole file. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** Removes a top-level entry and everything under it; nothing happens if it does not exist. */
  remove(name: string): Promise<void>;
  /** Names of the top-level entries. */
  list(): Promise<string[]>;
}

// ---- validation ---------------------------------------------------------------

/** Same as the `modelId` schema of the API. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const FOLDER = /^[A-Za-z0-9_]+-[a-z0-9]+$/;
/** transformers.js' dtype → file-name suffix (DEFAULT_DTYPE_SUFFIX_MAPPING in 4.3.1). */
const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q2: '_q2',
  q1: '_q1',
  q4f16: '_q4f16',
  q2f16: '_q2f16',
  q1f16: '_q1f16',
  bnb4: '_bnb4',
};
/** Which variant to load when config.json names no dtype: transformers.js' wasm default (q8) first, then full precision. */
const DTYPE_PREFERENCE = ['q8', 'fp32', 'int8', 'uint8', 'q4', 'bnb4', 'fp16', 'q4f16', 'q2', 'q2f16', 'q1', 'q1f16'];
/** `onnx/model<suffix>.onnx` and its external data files `…onnx_data`, `…onnx_data_1`, … */
const MODEL_WEIGHTS = /^onnx\/model((?:_[a-z0-9]+)?)\.onnx(?:_data(?:_\d+)?)?$/;

function invalid(message: string): never {
  fail('INVALID_INPUT', `embeddings.importModel: ${message}`);
}

/** A path inside the model folder: '/'-separated, relative, no empty, '.' or '..' segments. */
export function normalizeModelPath(path: string): string {
  const segments = path.replace(/\\/g, '/').replace(/^\/+/, '').split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.length > MAX_SEGMENT || /[\u0000-\u001f]/.test(s)) {
      invalid(`invalid file path "${path.slice(0, 300)}"`);
    }
  }
  return segments.join('/');
}

export interface PreparedModel {
  /** The files to store, paths normalised, unused weight variants left out. */
  files: ModelFile[];
  dims: number | null;
  /** Set when config.json names no dtype: the variant found in the folder. */
  dtype?: string;
}

function parseJson(file: ModelFile): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
  } catch {
    return invalid(`${file.path} is not valid JSON`);
  }
}

/**
 * Checks a picked model folder and decides what to keep: the folder must hold
 * config.json, tokenizer.json, tokenizer_config.json (transformers.js 4 loads
 * no tokenizer without it) and the ONNX weights for the dtype that will be
 * loaded. Paths may keep the picked folder's name as a common first segment
 * (as `webkitRelativePath` does); hidden files ('.git/…', '.DS_Store') are
 * dropped, and so are weight variants that will not be loaded.
 */
export function prepareModelFiles(input: ModelFile[]): PreparedModel {
  if (!Array.isArray(input) || input.some((f) => typeof f?.path !== 'string' || !(f.bytes instanceof Uint8Array))) {
    invalid("field 'files' must be an array of { path, bytes }");
  }
  if (input.length > MAX_FILES) invalid(`a model folder may hold at most ${MAX_FILES} files`);
  let files = input.map((f) => ({ path: normalizeModelPath(f.path), bytes: f.bytes }));
  files = stripCommonFolder(files).filter((f) => !f.path.split('/').some((s) => s.startsWith('.')));

  const byPath = new Map<string, ModelFile>();
  for (const f of files) {
    if (byPath.has(f.path)) invalid(`the file ${f.path} is listed twice`);
    byPath.set(f.path, f);
  }
  for (const required of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!byPath.has(required)) invalid(`the model folder must contain ${required}`);
  }
  const config = parseJson(byPath.get('config.json')!);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) invalid('config.json must hold a JSON object');
  parseJson(byPath.get('tokenizer_config.json')!);
  parseJson(byPath.get('tokenizer.json')!);

  const { dtype: configDtype } = ((config as Record<string, unknown>)['transformers.js_config'] ?? {}) as { dtype?: unknown };
  const present = new Set(files.map((f) => MODEL_WEIGHTS.exec(f.path)).flatMap((m) => (m && !m[0].includes('_data') ? [m[1]!] : [])));
  let dtype: string | undefined;
  let keepSuffix: string | undefined; // undefined: keep every variant
  if (typeof configDtype === 'string' && configDtype !== 'auto') {
    keepSuffix = DTYPE_SUFFIX[configDtype];
    if (keepSuffix === undefined) invalid(`config.json names an unknown dtype "${configDtype.slice(0, 40)}"`);
    if (!present.has(keepSuffix)) invalid(`config.json asks for dtype ${configDtype}, so the folder must contain onnx/model${keepSuffix}.onnx`);
  } else if (configDtype === undefined || configDtype === 'auto') {
    dtype = DTYPE_PREFERENCE.find((d) => present.has(DTYPE_SUFFIX[d]!));
    if (dtype === undefined) invalid('the model folder must contain onnx/model.onnx (or a variant such as onnx/model_quantized.onnx)');
    keepSuffix = DTYPE_SUFFIX[dtype];
  } else if (present.size === 0) {
    invalid('the model folder must contain ONNX weights under onnx/');
  }
  if (keepSuffix !== undefined) {
    files = files.filter((f) => {
      const weights = MODEL_WEIGHTS.exec(f.path);
      return !weights || weights[1] === keepSuffix;
    });
  }
  return { files, dims: modelDims(config), ...(dtype ? { dtype } : {}) };
}

/** Drops a first path segment shared by every file when config.json is not at the top. */
function stripCommonFolder(files: ModelFile[]): ModelFile[] {
  if (files.length === 0 || files.some((f) => f.path === 'config.json')) return files;
  const first = files[0]!.path.split('/')[0]!;
  if (!files.every((f) => f.path.startsWith(`${first}/`))) return files;
  return files.map((f) => ({ path: f.path.slice(first.length + 1), bytes: f.bytes }));
}

/** The pooled output's width as config.json states it (hidden_size; d_model for some architectures). */
export function modelDims(config: unknown): number | null {
  const c = (config ?? {}) as { hidden_size?: unknown; d_model?: unknown };
  const size = c.hidden_size ?? c.d_model;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : null;
}

// ---- the index ------------------------------------------------------------------

function isStoredModel(value: unknown): value is StoredModel {
  const m = value as StoredModel;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'string' &&
    MODEL_ID.test(m.id) &&
    typeof m.folder === 'string' &&
    FOLDER.test(m.folder) &&
    (m.dims === null || (Number.isInteger(m.dims) && m.dims > 0)) &&
    (m.dtype === undefined || DTYPE_SUFFIX[m.dtype] !== undefined) &&
    Array.isArray(m.files) &&
    m.files.every((f) => typeof f?.path === 'string' && Number.isInteger(f.size) && f.size >= 0) &&
    typeof m.installedAt === 'number'
  );
}

/** The models an index file lists; entries that do not check out are skipped. Undefined: not an index at all. */
export function parseIndex(text: string): StoredModel[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const index = json as { version?: unknown; models?: unknown };
  if (typeof index !== 'object' || index === null || index.version !== INDEX_VERSION || !Array.isArray(index.models)) return undefined;
  const seen = new Set<string>();
  return index.models.filter((m): m is StoredModel => isStoredModel(m) && !seen.has(m.id) && !!seen.add(m.id));
}

export function serializeIndex(models: StoredModel[]): string {
  return `${JSON.stringify({ version: INDEX_VERSION, models }, null, 1)}\n`;
}

/** A fresh folder name for a model: its id made path-safe plus a random suffix (ids may contain '/'). */
export function folderFor(modelId: string): string {
  const slug = modelId.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 64) || 'model';
  return `${slug}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export const toModelInfo = (m: StoredModel): ModelInfo => ({ id: m.id, dims: m.dims, source: 'imported' });

// ---- the store --------------------------------------------------------------------

/**
 * The imported models of one directory. `list()` and `get()` answer from
 * memory (loaded by `ready`, updated by `install`); installs run one at a time.
 */
export class ModelStore {
  private models: StoredModel[] = [];
  private queue: Promise<unknown>;
  /** Resolves once the index is read (to an empty list if it cannot be). */
  readonly ready: Promise<void>;

  constructor(private readonly dir: StoreDir) {
    this.ready = this.load();
    this.queue = this.ready;
  }

  list(): StoredModel[] {
    return [...this.models];
  }

  get(modelId: string): StoredModel | undefined {
    return this.models.find((m) => m.id === modelId);
  }

  /** Stores the files under a new folder, then points the index at it; a model with the same id is replaced. */
  install(modelId: string, files: ModelFile[]): Promise<StoredModel> {
    if (!MODEL_ID.test(modelId)) invalid('invalid model id');
    const prepared = prepareModelFiles(files);
    const run = this.queue.then(() => this.write(modelId, prepared));
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(modelId: string, prepared: PreparedModel): Promise<StoredModel> {
    const entry: StoredModel = {
      id: modelId,
      folder: folderFor(modelId),
      dims: prepared.dims,
      ...(prepared.dtype ? { dtype: prepared.dtype } : {}),
      files: prepared.files.map((f) => ({ path: f.path, size: f.bytes.byteLength })),
      installedAt: Date.now(),
    };
    const models = [...this.models.filter((m) => m.id !== modelId), entry];
    try {
      for (const file of prepared.files) await this.dir.write(`${entry.folder}/${file.path}`, file.bytes);
      await this.dir.write(INDEX_FILE, new TextEncoder().encode(serializeIndex(models)));
    } catch (error) {
      await this.dir.remove(entry.folder).catch(() => {});
      throw storageFailure(error);
    }
    const replaced = this.get(modelId);
    this.models = models;
    if (replaced) await this.dir.remove(replaced.folder).catch(() => {});
    return entry;
  }

  private async load(): Promise<void> {
    try {
      const bytes = await this.dir.read(INDEX_FILE);
      const models = bytes ? parseIndex(new TextDecoder().decode(bytes)) : [];
      if (!models) {
        console.warn('mnemo: the index of imported embedding models is unreadable; they are not listed');
        return;
      }
      this.models = models;
      // Folders of interrupted or replaced installs.
      const keep = new Set([INDEX_FILE, ...models.map((m) => m.folder)]);
      for (const name of await this.dir.list()) {
        if (!keep.has(name)) await this.dir.remove(name).catch(() => {});
      }
    } catch (error) {
      console.warn('mnemo: imported embedding models are unavailable:', error instanceof Error ? error.message : error);
    }
  }
}

function storageFailure(error: unknown): unknown {
  if (error instanceof MnemoFailure) return error;
  const name = (error as { name?: unknown })?.name;
  const code = (error as { code?: unknown })?.code;
  if (name === 'QuotaExceededError' || code === 'ENOSPC') {
    return new MnemoFailure('QUOTA_EXCEEDED', 'embeddings.importModel: not enough storage for the model files');
  }
  if (name === 'SecurityError' || name === 'NotAllowedError') {
    return new MnemoFailure('INVALID_INPUT', 'embeddings.importModel: this browser context cannot store files');
  }
  return error;
}
