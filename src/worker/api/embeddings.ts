import type { EmbeddingsApi, ModelFile } from '../../shared/api';
import { check, type Schemas } from '../../shared/schemas';
import type { EmbeddingService } from '../embed/service';

export function embeddingsApi(embeddings: Pick<EmbeddingService, 'status' | 'setModel' | 'importModel' | 'flush'>, s: Schemas): EmbeddingsApi {
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
  };
}
