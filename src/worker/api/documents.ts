import type { DocumentsApi } from '../../shared/api';
import { fail } from '../../shared/errors';
import { check } from '../../shared/schemas';
import { checkDims } from '../embed/caller-vectors';
import type { DocumentUploader } from '../services/document-upload';
import type { ScopedContext } from './context';

/** A File or Blob (same-thread callers) or `{ name, type, bytes }` with an ArrayBuffer becomes `{ name, type, bytes: Uint8Array }`. */
async function fileBytes(file: unknown): Promise<unknown> {
  if (typeof Blob !== 'undefined' && file instanceof Blob) {
    const name = typeof File !== 'undefined' && file instanceof File ? file.name : 'upload';
    return { name, type: file.type || undefined, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  if (typeof file === 'object' && file !== null && 'bytes' in file) {
    const candidate = file as { bytes: unknown };
    if (candidate.bytes instanceof ArrayBuffer) return { ...candidate, bytes: new Uint8Array(candidate.bytes) };
  }
  return file;
}

export function documentsApi({ scope, db, schemas: s, now, write, embeddings }: ScopedContext, uploader: Pick<DocumentUploader, 'upload'>): DocumentsApi {
  const r = () => db.repos;
  return {
    async upload(sessionId, file, options) {
      const key = check(s.id, sessionId, 'documents.upload');
      const upload = check(s.upload, await fileBytes(file), 'documents.upload');
      const opts = check(s.uploadOptions, options, 'documents.upload');
      return uploader.upload(scope, key, upload, opts);
    },
    async list(sessionId, request) {
      const key = check(s.id, sessionId, 'documents.list');
      r().sessions.assertExists(scope, key);
      return r().documents.list(scope, key, check(s.pageRequest, request, 'documents.list'));
    },
    async get(id) {
      return r().documents.get(scope, check(s.id, id, 'documents.get'), now());
    },
    async chunks(contentId) {
      return r().documents.chunks(scope, check(s.id, contentId, 'documents.chunks'));
    },
    async setChunkEmbeddings(contentId, chunks, model) {
      const context = 'documents.setChunkEmbeddings';
      const key = check(s.id, contentId, context);
      const items = check(s.chunkEmbeddings, chunks, context);
      const modelId = check(s.modelId, model, context);
      const lookup = (id: string) => embeddings.callerModel(id);
      items.forEach((item, i) => checkDims(lookup, item.embedding, modelId, context, `${i}.embedding`, 'model'));
      const ids = r().documents.chunkIds(scope, key);
      const targets = items.map((item, i) => ids.get(item.index) ?? fail('INVALID_INPUT', `${context}: field '${i}.index' must be a chunk index of the document (0 to ${ids.size - 1})`));
      return embeddings.vectorWrite(() =>
        write('chunks', () => {
          items.forEach((item, i) => embeddings.storeVector('chunks', targets[i]!, scope, modelId, item.embedding));
          return items.length;
        }),
      );
    },
    async delete(id) {
      const key = check(s.id, id, 'documents.delete');
      return write('contents', () => r().documents.delete(scope, key));
    },
  };
}
