import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { JsonObject, VectorEntry } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { navigate } from './route';
import { controls, picking } from './styles';
import { attempt, formatTime, MnView, renderTask } from './view';

const PAGE_SIZE = 25;

/** Parses the metadata field: a JSON object, or the reason it is not one. */
export function parseMetadata(text: string): { ok: true; value: JsonObject } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'Metadata must be valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'Metadata must be a JSON object, e.g. {"page": 3}.' };
  return { ok: true, value: value as JsonObject };
}

/**
 * Vector entries by collection (LangChain/Chroma-style documents): pick a
 * collection, page through its entries, open one to view, edit its content
 * and metadata, delete it, or clear the collection. `#vectors/<collection>/<entryId>`.
 */
export class MnVectors extends MnView {
  static override properties = {
    ...MnView.properties,
    collection: { attribute: false },
    selectedId: { attribute: false },
    page: { state: true },
    editing: { state: true },
    confirming: { state: true },
    notice: { state: true },
    error: { state: true },
  };

  declare collection: string | null;
  declare selectedId: string | null;
  declare page: number;
  declare editing: boolean;
  declare confirming: boolean;
  declare notice: string | null;
  declare error: string | null;

  constructor() {
    super();
    this.collection = null;
    this.selectedId = null;
    this.page = 1;
    this.editing = false;
    this.confirming = false;
    this.notice = null;
    this.error = null;
  }

  static override styles = [
    controls,
    picking,
    css`
      .layout {
        display: grid;
        grid-template-columns: minmax(10rem, 1fr) minmax(0, 2fr) minmax(0, 2fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .preview {
        display: -webkit-box;
        -webkit-line-clamp: 2;
        -webkit-box-orient: vertical;
        overflow: hidden;
      }
      .content,
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      pre {
        background: var(--mn-surface-2);
        padding: 0.5rem;
        border-radius: 8px;
        font-size: 0.85rem;
      }
      form.edit {
        display: grid;
        gap: 0.5rem;
      }
      form.edit label {
        display: grid;
        gap: 0.2rem;
      }
      textarea {
        min-height: 6rem;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('collection')) {
      this.page = 1;
      this.confirming = false;
    }
    if (changed.has('selectedId')) this.editing = false;
  }

  private readonly collections = new Task(this, {
    task: async ([, key]) => (key ? this.space!.vectors.collections() : undefined),
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private readonly entries = new Task(this, {
    task: async ([, key, collection, page]) => (key && collection ? this.space!.vectors.list({ collection, page, pageSize: PAGE_SIZE }) : undefined),
    args: () => [this.revision, this.scope && scopeKey(this.scope), this.collection, this.page] as const,
  });

  private readonly entry = new Task(this, {
    task: async ([, key, id]): Promise<VectorEntry | null | undefined> => (key && id ? this.space!.vectors.get(id).catch(() => null) : undefined),
    args: () => [this.revision, this.scope && scopeKey(this.scope), this.selectedId] as const,
  });

  private act(action: () => Promise<unknown>, done: string | null): Promise<boolean> {
    return attempt(this, action, done);
  }

  private async save(entry: VectorEntry, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const metadata = parseMetadata(String(data.get('metadata') ?? ''));
    if (!metadata.ok) {
      this.error = metadata.reason;
      return;
    }
    const content = String(data.get('content') ?? '');
    if (await this.act(() => this.space!.vectors.update(entry.id, { content, metadata: metadata.value }), 'Entry saved.')) this.editing = false;
  }

  private async deleteOne(entry: VectorEntry): Promise<void> {
    if (await this.act(() => this.space!.vectors.delete(entry.id), 'Entry deleted.')) navigate('vectors', entry.collection);
  }

  private async clear(collection: string): Promise<void> {
    let n = 0;
    if (await this.act(async () => (n = await this.space!.vectors.clearVectors(collection)), `Collection ${collection} cleared.`)) {
      this.notice = `Deleted ${n} entries of ${collection}.`;
      this.confirming = false;
      navigate('vectors');
    }
  }

  private renderCollections() {
    return html`<section class="card" aria-labelledby="collections-h">
      <h2 id="collections-h">Collections</h2>
      ${renderTask(this.collections, {
        key: this.scope && scopeKey(this.scope),
        complete: (list) =>
          !list || list.length === 0
            ? html`<p class="muted">No vector entries in this space. Apps add them with <code>s.vectors.add({ collection, content })</code>.</p>`
            : html`<ul class="plain" data-testid="collections">
                ${list.map(
                  (c) => html`<li>
                    <button class="pick" aria-current=${c.collection === this.collection ? 'true' : 'false'} @click=${() => navigate('vectors', c.collection)}>
                      ${c.collection} <span class="meta">${c.count}</span>
                    </button>
                  </li>`,
                )}
              </ul>`,
      })}
    </section>`;
  }

  private renderEntries() {
    const collection = this.collection;
    if (!collection) return html`<section class="card" aria-label="Entries"><h2>Entries</h2><p class="muted">Pick a collection.</p></section>`;
    return html`<section class="card" aria-labelledby="entries-h">
      <h2 id="entries-h">Entries of ${collection}</h2>
      ${renderTask(this.entries, {
        key: this.scope && `${scopeKey(this.scope)}/${this.collection}`,
        complete: (page) =>
          !page || page.total === 0
            ? html`<p class="muted">This collection is empty.</p>`
            : html`<p class="meta">${page.total} entries</p>
                <ul class="plain" data-testid="entries">
                  ${page.items.map(
                    (e) => html`<li>
                      <button class="pick" aria-current=${e.id === this.selectedId ? 'true' : 'false'} @click=${() => navigate('vectors', collection, e.id)}>
                        <span class="preview">${e.content}</span>
                        <span class="meta">${e.documentId ? `document ${e.documentId} · ` : ''}${formatTime(e.createdAt)}</span>
                      </button>
                    </li>`,
                  )}
                </ul>
                <div class="row">
                  <button class="secondary" ?disabled=${!page.hasPrev} @click=${() => (this.page -= 1)}>Previous</button>
                  <span class="meta">Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))}</span>
                  <button class="secondary" ?disabled=${!page.hasNext} @click=${() => (this.page += 1)}>Next</button>
                </div>`,
      })}
      <p><button class="danger" @click=${() => (this.confirming = true)}>Clear collection…</button></p>
      ${this.confirming
        ? html`<div class="confirm" role="group" aria-label="Confirm clearing the collection">
            <p>Delete every entry of “${collection}” (${this.collections.value?.find((c) => c.collection === collection)?.count ?? 0} entries) and their vectors?</p>
            <div class="row">
              <button class="danger" @click=${() => this.clear(collection)}>Clear ${collection}</button>
              <button class="secondary" @click=${() => (this.confirming = false)}>Cancel</button>
            </div>
          </div>`
        : nothing}
    </section>`;
  }

  private renderEntry() {
    if (!this.selectedId) return html`<section class="card" aria-label="Entry"><h2>Entry</h2><p class="muted">Pick an entry to view or edit it.</p></section>`;
    return html`<section class="card" aria-labelledby="entry-h">
      <h2 id="entry-h">Entry</h2>
      ${renderTask(this.entry, {
        key: this.selectedId,
        complete: (entry) => {
          if (!entry) return html`<p class="muted">This entry no longer exists.</p>`;
          if (this.editing) {
            return html`<form class="edit" aria-label="Edit entry" @submit=${(e: SubmitEvent) => this.save(entry, e)}>
              <label>Content <textarea name="content" required .value=${entry.content}></textarea></label>
              <label>Metadata (JSON object) <textarea name="metadata" .value=${JSON.stringify(entry.metadata, null, 2)}></textarea></label>
              <div class="row">
                <button type="submit">Save entry</button>
                <button type="button" class="secondary" @click=${() => (this.editing = false)}>Cancel</button>
              </div>
            </form>`;
          }
          return html`<div data-testid="entry">
            <p class="content">${entry.content}</p>
            <p class="meta">
              ${entry.collection}${entry.documentId ? ` · document ${entry.documentId}` : ''} · added ${formatTime(entry.createdAt)} · updated
              ${formatTime(entry.updatedAt)}
            </p>
            <h3 class="meta">Metadata</h3>
            <pre>${JSON.stringify(entry.metadata, null, 2)}</pre>
            <div class="row">
              <button class="secondary" @click=${() => (this.editing = true)}>Edit entry</button>
              <button class="danger" @click=${() => this.deleteOne(entry)}>Delete entry</button>
            </div>
          </div>`;
        },
      })}
    </section>`;
  }

  override render() {
    return html`
      ${this.error ? html`<p class="card error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="meta" role="status" data-testid="vectors-notice">${this.notice}</p>` : nothing}
      <div class="layout">${this.renderCollections()} ${this.renderEntries()} ${this.renderEntry()}</div>
    `;
  }
}

customElements.define('mn-vectors', MnVectors);

declare global {
  interface HTMLElementTagNameMap {
    'mn-vectors': MnVectors;
  }
}
