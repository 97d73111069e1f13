/**
 * Turns texts into vectors for semantic search. Implementations: the
 * deterministic hashing test embedder, the transformers.js embedder (in the
 * current thread) and the worker embedder (the same, in its own Web Worker).
 */
export interface Embedder {
  /** Identifies the vector space: vectors from different ids must never be compared. */
  readonly modelId: string; // e.g. 'mnemo-glove-100d'
  readonly dims: number;
  /** How vectors are computed, for status and tests: 'static-lookup' (a lookup model's rows pooled directly) or 'onnx' (the transformers.js pipeline). */
  readonly runtime?: 'static-lookup' | 'onnx' | 'hash';
  /**
   * Unit-length vectors, one per text, same order. A text with no token the
   * model knows (empty, or only unknown words) gets the zero vector, which has
   * cosine 0 with everything.
   */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose?(): Promise<void>;
}
