import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { Progress } from '../shared/api';
import { scopeKey } from '../shared/scope';
import { navigate } from './route';
import { controls, errorText } from './styles';
import { formatBytes, formatTime, MnView, renderTask, timeLeft } from './view';

/**
 * Documents of a session: upload with progress, list, chunks, delete. The
 * session and the document whose chunks are open are in the route:
 * `#documents/<sessionId>/<documentId>`.
 */
export class MnDocuments extends MnView {
  static override properties = {
    ...MnView.properties,
    sessionId: { attribute: false },
    documentId: { attribute: false },
    progress: { state: true },
    notice: { state: true },
  };

  declare sessionId: string | null;
  /** The document whose chunks are shown. */
  declare documentId: string | null;
  declare progress: Progress | null;
  declare notice: string | null;
  private stopProgress: (() => Promise<void>) | undefined;

  constructor() {
    super();
    this.sessionId = null;
    this.documentId = null;
    this.progress = null;
    this.notice = null;
  }

  static override styles = [
    controls,
    css`
      li {
        border-bottom: 1px solid var(--mn-border);
        padding: 0.6rem 0;
      }
      .preview {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      progress {
        width: 100%;
      }
      ol.chunks li {
        white-space: pre-wrap;
        font-family: var(--mn-mono);
        font-size: 0.85rem;
      }
    `,
  ];

  private readonly sessions = new Task(this, {
    task: async () => this.space!.sessions.list({ pageSize: 200 }),
    args: () => [this.revision, this.scope] as const,
  });

  private readonly documents = new Task(this, {
    task: async ([, sessionId]) => (sessionId ? this.space!.documents.list(sessionId, { pageSize: 200 }) : undefined),
    args: () => [this.revision, this.sessionId] as const,
  });

  private readonly chunks = new Task(this, {
    task: async ([, key, documentId]) => (key && documentId ? this.space!.documents.chunks(documentId) : undefined),
    args: () => [this.revision, this.scope && scopeKey(this.scope), this.documentId] as const,
  });

  /** Selects a session and a document (or none), as a new history entry. */
  private select(sessionId: string | null, documentId: string | null = null): void {
    this.sessionId = sessionId;
    this.documentId = sessionId ? documentId : null;
    navigate('documents', sessionId, documentId);
  }

  private async deleteDocument(id: string): Promise<void> {
    try {
      await this.space!.documents.delete(id);
      if (this.documentId === id) this.select(this.sessionId);
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.stopProgress?.();
  }

  private async upload(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    if (!this.sessionId || files.length === 0) return;
    this.stopProgress ??= await this.client!.onProgress((p) => {
      if (p.task === 'upload') this.progress = p;
    });
    for (const [i, file] of files.entries()) {
      this.notice = `Uploading ${i + 1} of ${files.length}…`;
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        await this.space!.documents.upload(this.sessionId, { name: file.name, type: file.type, bytes });
        this.notice = `Uploaded ${file.name}.`;
      } catch (error) {
        this.notice = `${file.name}: ${errorText(error)}`;
      }
    }
    this.progress = null;
    input.value = '';
  }

  override render() {
    return html`<section class="card" aria-labelledby="docs-h">
      <h2 id="docs-h">Documents</h2>
      ${renderTask(this.sessions, {
        key: this.scope && scopeKey(this.scope),
        loading: 'Loading sessions…',
        complete: (page) => html`<label>Session
          <select .value=${this.sessionId ?? ''} @change=${(e: Event) => this.select((e.target as HTMLSelectElement).value || null)}>
            <option value="">Choose a session…</option>
            ${page.items.map((s) => html`<option value=${s.id} ?selected=${s.id === this.sessionId}>${s.name}</option>`)}
          </select>
        </label>`,
      })}
      ${this.sessionId
        ? html`<p>
            <label>Upload Markdown, text or PDF
              <input type="file" multiple accept=".md,.markdown,.txt,.pdf,.csv,.json,.log,text/*,application/pdf" @change=${this.upload} />
            </label>
          </p>`
        : nothing}
      ${this.progress
        ? html`<label>Processing <progress max=${this.progress.total} value=${this.progress.done}></progress>${timeLeft(this.progress)}</label>`
        : nothing}
      ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${renderTask(this.documents, {
        key: this.sessionId,
        complete: (page) =>
          page
            ? html`<ul class="plain" data-testid="documents">
                ${page.items.length === 0 ? html`<li class="muted">No documents in this session.</li>` : nothing}
                ${page.items.map(
                  (d) => html`<li data-id=${d.id}>
                    <strong>${d.filename}</strong>
                    <span class="meta">${d.mimeType} · ${formatBytes(d.size)} · ${d.lineCount} lines · ${d.chunkCount} chunks · ${formatTime(d.createdAt)}</span>
                    <div class="preview muted">${d.preview}</div>
                    <div class="row">
                      <button
                        class="secondary"
                        @click=${() => this.select(this.sessionId, this.documentId === d.id ? null : d.id)}
                        aria-expanded=${this.documentId === d.id ? 'true' : 'false'}
                      >
                        Chunks
                      </button>
                      <button class="danger" @click=${() => this.deleteDocument(d.id)}>Delete</button>
                    </div>
                    ${this.documentId === d.id
                      ? renderTask(this.chunks, {
                          key: d.id,
                          loading: 'Loading chunks…',
                          complete: (chunks) => html`<ol class="chunks" aria-label="Chunks of ${d.filename}" data-testid="chunks">
                            ${(chunks ?? []).map((c) => html`<li><span class="meta">lines ${c.startLine}–${c.endLine}${c.heading ? ` · ${c.heading}` : ''}</span>\n${c.text}</li>`)}
                          </ol>`,
                        })
                      : nothing}
                  </li>`,
                )}
              </ul>`
            : nothing,
      })}
    </section>`;
  }
}

customElements.define('mn-documents', MnDocuments);

declare global {
  interface HTMLElementTagNameMap {
    'mn-documents': MnDocuments;
  }
}
