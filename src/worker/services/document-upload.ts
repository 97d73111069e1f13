/**
 * The document-upload pipeline: parse (md, txt, pdf), chunk with line
 * ranges, then store the document and its chunks in one transaction; the
 * triggers index them for keyword search and queue them for embedding.
 * Progress steps: parsed, chunked, stored.
 */
import type { UploadFile, UploadOptions } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { DocumentContent, Scope } from '../../shared/models';
import { chunkDocument } from '../content/chunk';
import { parseDocument } from '../content/parse';
import type { Changes, ProgressReporter } from '../events';
import { scopedWriter, type WriteDeps } from '../write';

export interface UploadDeps extends WriteDeps {
  events: Changes & ProgressReporter;
  maxUploadBytes: number;
}

export class DocumentUploader {
  constructor(private readonly deps: UploadDeps) {}

  async upload(scope: Scope, sessionId: string, upload: UploadFile, options: UploadOptions): Promise<DocumentContent> {
    const { db, events } = this.deps;
    db.repos.sessions.assertExists(scope, sessionId);
    const task = events.begin('upload', 3);
    try {
      const parsed = await parseDocument(upload, { maxBytes: this.deps.maxUploadBytes });
      task.step(1);
      const chunks = chunkDocument(parsed.text, parsed.kind, options.maxChunkChars ? { maxChars: options.maxChunkChars } : undefined);
      task.step(2);
      const stored = scopedWriter(this.deps, scope)('contents', (at) =>
        db.repos.documents.insert(
          sessionId,
          {
            filename: upload.name,
            mimeType: parsed.mimeType,
            size: upload.bytes.byteLength,
            lineCount: parsed.lineCount,
            preview: parsed.preview,
            fullText: parsed.text,
            metadata: { ...(options.metadata ?? {}), kind: parsed.kind, ...(parsed.pageCount ? { pageCount: parsed.pageCount } : {}) },
            chunks,
          },
          at,
        ),
      );
      task.step(3);
      return db.repos.documents.find(scope, stored.id) ?? fail('NOT_FOUND', 'document not found');
    } finally {
      task.end();
    }
  }
}
