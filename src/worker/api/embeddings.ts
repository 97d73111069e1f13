import * as Comlink from 'comlink';
import type { EmbeddingsApi, ModelFile } from '../../shared/api';
import { check, type Schemas } from '../../shared/schemas';
import type { EmbeddingService } from '../embed/service';

type Service = Pick<EmbeddingService, 'status' | 'setModel' | 'importModel' | 'flush' | 'register' | 'unregister' | 'models' | 'embedTexts'>;

/** Vectors cross to the page without a copy (each buffer once: views may share one). */
function handOver(vectors: Float32Array[]): Float32Array[] {
  return Comlink.transfer(vectors, [...new Set(vectors.map((v) => v.buffer as ArrayBuffer))]);
}

export function embeddingsApi(embeddings: Service, s: Schemas): EmbeddingsApi {
  return {
    status: () => embeddings.status(),
    async setModel(modelId: string) {
      return embeddings.setModel(check(s.modelId, modelId, 'embeddings.setModel'));
    },
    async importModel(modelId: string, files: ModelFile[]) {
      return embeddings.importModel(check(s.modelId, modelId, 'embeddings.importModel'), files);
    },
    async flush(timeoutMs?: number) {
      return embeddings.flush(check(s.timeoutMs, timeoutMs, 'embeddings.flush'));
    },
    async register(model) {
      return embeddings.register(check(s.embeddingModelInput, model, 'embeddings.register'));
    },
    async unregister(modelId) {
      return embeddings.unregister(check(s.modelId, modelId, 'embeddings.unregister'));
    },
    async models() {
      return embeddings.models();
    },
    async embed(texts) {
      const { vectors } = await embeddings.embedTexts(check(s.embedTexts, texts, 'embeddings.embed'));
      return handOver(vectors);
    },
  };
}
