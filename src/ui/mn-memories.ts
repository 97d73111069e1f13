import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { MemoryListRequest } from '../shared/api';
import type { Memory, MemoryKind } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { navigate } from './route';
import { controls, errorText } from './styles';
import { formatTime, MnView, renderTask } from './view';

export const PAGE_SIZE = 50;

function countdown(expiresAt: number, now: number): string {
  const ms = expiresAt - now;
  if (ms <= 0) return 'expired';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `expires in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `expires in ${hours} h`;
  return `expires in ${Math.round(hours / 24)} days`;
}

/** Long- and short-term memories: add, edit, delete, clear. The tab and page are in the route: `#memories/<long|short>/<page>`. */
export class MnMemories extends MnView {
  static override properties = {
    ...MnView.properties,
    kind: { attribute: false },
    orderBy: { state: true },
    editing: { state: true },
    notice: { state: true },
    now: { state: true },
    page: { attribute: false },
    includeExpired: { state: true },
  };

  declare kind: MemoryKind;
  declare orderBy: NonNullable<MemoryListRequest['orderBy']>;
  declare editing: string | null;
  declare notice: string | null;
  declare now: number;
  declare page: number;
  /** Short-term memories past their expiry are listed too (greyed), until cleanup removes them. */
  declare includeExpired: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.kind = 'long';
    this.orderBy = 'newest';
    this.editing = null;
    this.notice = null;
    this.now = Date.now();
    this.page = 1;
    this.includeExpired = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => (this.now = Date.now()), 30_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  static override styles = [
    controls,
    css`
      [role='tablist'] button[aria-selected='false'] {
        background: var(--mn-surface-2);
        color: var(--mn-text);
      }
      li {
        border-bottom: 1px solid var(--mn-border);
        padding: 0.6rem 0;
      }
      .content {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        min-height: 3.5rem;
      }
      form.add {
        display: grid;
        gap: 0.5rem;
        margin-bottom: 1rem;
      }
      .importance {
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  private readonly memories = new Task(this, {
    task: async ([, kind, orderBy, page, includeExpired]) => this.space!.memories.list({ kind, orderBy, page, pageSize: PAGE_SIZE, includeExpired }),
    args: () => [this.revision, this.kind, this.orderBy, this.page, this.includeExpired, this.scope] as const,
  });

  /** Shows a tab and page, as a new history entry (`#memories/short/2`). */
  private go(kind: MemoryKind, page: number): void {
    this.kind = kind;
    this.page = page;
    navigate('memories', kind, page > 1 ? String(page) : null);
  }

  private async act(action: () => Promise<unknown>, done?: string): Promise<void> {
    try {
      await action();
      if (done !== undefined) this.notice = done;
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  private async add(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const content = String(data.get('content') ?? '');
    const importance = Number(data.get('importance') ?? 0.5);
    const ttlMinutes = Number(data.get('ttl') ?? 0);
    await this.act(async () => {
      const result = await this.space!.memories.add({
        kind: this.kind,
        content,
        importance,
        ...(this.kind === 'short' ? { ttlMs: Math.max(1, ttlMinutes) * 60_000 } : {}),
      });
      this.notice = result.action === 'updated' ? 'A matching memory existed; it was updated.' : 'Memory added.';
      form.reset();
    }, undefined);
  }

  private async save(memory: Memory, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    await this.act(async () => {
      await this.space!.memories.update(memory.id, {
        content: String(data.get('content') ?? memory.content),
        importance: Number(data.get('importance') ?? memory.importance),
      });
      this.editing = null;
    }, 'Memory saved.');
  }

  private async clear(): Promise<void> {
    const label = this.kind === 'long' ? 'long-term' : 'short-term';
    if (!confirm(`Delete all ${label} memories in this space?`)) return;
    await this.act(async () => {
      const n = this.kind === 'long' ? await this.space!.memories.clearLongTerm() : await this.space!.memories.clearShortTerm();
      this.notice = `Deleted ${n} ${label} memories.`;
    });
  }

  private async cleanup(): Promise<void> {
    await this.act(async () => {
      const n = await this.space!.memories.cleanupExpired();
      this.notice = `Removed ${n} expired ${n === 1 ? 'memory' : 'memories'}.`;
    });
  }

  private renderMemory(m: Memory) {
    if (this.editing === m.id) {
      return html`<li>
        <form @submit=${(e: SubmitEvent) => this.save(m, e)} aria-label="Edit memory">
          <label class="sr-only" for="edit-${m.id}">Memory text</label>
          <textarea id="edit-${m.id}" name="content" .value=${m.content} required></textarea>
          <div class="row">
            <label>Importance <input name="importance" type="number" min="0" max="1" step="0.05" .value=${String(m.importance)} /></label>
            <button type="submit">Save</button>
            <button type="button" class="secondary" @click=${() => (this.editing = null)}>Cancel</button>
          </div>
        </form>
      </li>`;
    }
    return html`<li data-id=${m.id}>
      <div class="content">${m.content}</div>
      <div class="row meta">
        <span class="importance">importance ${m.importance.toFixed(2)}</span>
        <span>· added ${formatTime(m.createdAt)}</span>
        <span>· recalled ${m.accessCount}×</span>
        ${m.expiresAt !== null ? html`<span data-testid="expiry">· ${countdown(m.expiresAt, this.now)}</span>` : nothing}
      </div>
      <div class="row">
        <button class="secondary" @click=${() => (this.editing = m.id)}>Edit</button>
        <button class="danger" @click=${() => this.act(() => this.space!.memories.delete(m.id), 'Memory deleted.')}>Delete</button>
      </div>
    </li>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="memories-h">
      <h2 id="memories-h">Memories</h2>
      <div class="row" role="tablist" aria-label="Memory kind">
        ${(['long', 'short'] as const).map(
          (k) => html`<button
            role="tab"
            aria-selected=${this.kind === k ? 'true' : 'false'}
            @click=${() => this.go(k, 1)}
          >
            ${k === 'long' ? 'Long-term' : 'Short-term'}
          </button>`,
        )}
      </div>
      <div class="row">
        <label>Order
          <select
            @change=${(e: Event) => {
              this.orderBy = (e.target as HTMLSelectElement).value as typeof this.orderBy;
              this.go(this.kind, 1);
            }}
          >
            <option value="newest">Newest</option>
            <option value="importance">Importance</option>
            <option value="accessed">Recently recalled</option>
            <option value="oldest">Oldest</option>
          </select>
        </label>
        ${this.kind === 'short'
          ? html`<label
                ><input
                  type="checkbox"
                  .checked=${this.includeExpired}
                  @change=${(e: Event) => {
                    this.includeExpired = (e.target as HTMLInputElement).checked;
                    this.go(this.kind, 1);
                  }}
                />
                Include expired</label
              >
              <button class="secondary" @click=${this.cleanup}>Remove expired</button>`
          : nothing}
      </div>
      ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      <form class="add" @submit=${this.add} aria-label="Add memory">
        <label for="memory-content">New ${this.kind === 'long' ? 'long-term' : 'short-term'} memory</label>
        <textarea id="memory-content" name="content" required></textarea>
        <div class="row">
          <label>Importance <input name="importance" type="number" min="0" max="1" step="0.05" value="0.5" /></label>
          ${this.kind === 'short'
            ? html`<label>Expires after <input name="ttl" class="narrow" type="number" min="1" value="60" /> minutes</label>`
            : nothing}
          <button type="submit">Add memory</button>
        </div>
      </form>
      ${renderTask(this.memories, {
        key: this.scope && scopeKey(this.scope),
        complete: (page) => html`
          <p class="meta" data-testid="memories-total">${page.total} ${this.kind === 'long' ? 'long-term' : 'short-term'} memories</p>
          <ul class="plain" data-testid="memories">${page.items.map((m) => this.renderMemory(m))}</ul>
          ${page.hasNext || page.hasPrev
            ? html`<nav class="row" aria-label="Memory pages">
                <button class="secondary" ?disabled=${!page.hasPrev} @click=${() => this.go(this.kind, this.page - 1)}>Previous page</button>
                <span class="meta" data-testid="memories-page">Page ${page.page} of ${Math.ceil(page.total / page.pageSize)}</span>
                <button class="secondary" ?disabled=${!page.hasNext} @click=${() => this.go(this.kind, this.page + 1)}>Next page</button>
              </nav>`
            : nothing}
          ${page.total > 0 ? html`<button class="danger" @click=${this.clear}>Clear all ${this.kind === 'long' ? 'long-term' : 'short-term'}…</button>` : nothing}
        `,
      })}
    </section>`;
  }
}

customElements.define('mn-memories', MnMemories);

declare global {
  interface HTMLElementTagNameMap {
    'mn-memories': MnMemories;
  }
}
