import '@lit-labs/virtualizer';
import type { LitVirtualizer } from '@lit-labs/virtualizer/LitVirtualizer.js';
import { css, html, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { Message } from '../shared/models';
import { renderMarkdown } from './markdown';
import { controls, errorText } from './styles';
import { formatTime, MnView } from './view';

const PAGE_SIZE = 100;

/**
 * The messages of one conversation in a virtualized list: only the rows in
 * view are in the DOM and pages of 100 are fetched as they scroll into view,
 * so a 100k-message conversation opens as fast as a short one.
 */
export class MnMessageList extends MnView {
  static override properties = {
    ...MnView.properties,
    conversationId: { attribute: false },
    targetId: { attribute: false },
    items: { state: true },
    error: { state: true },
  };

  declare conversationId: string | null;
  declare targetId: string | undefined;
  declare items: Array<Message | undefined>;
  declare error: string | null;
  private readonly loading = new Set<number>();
  private generation = 0;
  private scrollToEnd = true;

  constructor() {
    super();
    this.conversationId = null;
    this.items = [];
    this.error = null;
  }

  static override styles = [
    controls,
    css`
      lit-virtualizer {
        height: min(65vh, 44rem);
        border: 1px solid var(--mn-border);
        border-radius: var(--mn-radius);
        background: var(--mn-bg);
      }
      article {
        box-sizing: border-box;
        width: 100%;
        border-bottom: 1px solid var(--mn-border);
        padding: 0.5rem 0.75rem;
        background: var(--mn-surface);
      }
      article[data-role='user'] {
        background: var(--mn-surface-2);
      }
      article[data-target] {
        outline: 2px solid var(--mn-accent);
        outline-offset: -2px;
      }
      article header {
        display: flex;
        gap: 0.5rem;
        align-items: baseline;
        justify-content: space-between;
      }
      .role {
        font-weight: 600;
        text-transform: capitalize;
      }
      .content :is(p, pre, ul, ol) {
        margin: 0.3rem 0;
        overflow-wrap: anywhere;
      }
      .content pre {
        overflow-x: auto;
        background: var(--mn-bg);
        padding: 0.5rem;
        border-radius: 6px;
      }
      .placeholder {
        color: var(--mn-muted);
        min-height: 3rem;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('conversationId')) {
      this.scrollToEnd = !this.targetId;
      void this.reset();
    } else if (changed.has('revision')) {
      this.scrollToEnd = false;
      void this.reset();
    }
  }

  /** Reloads the total and the pages in view (after a write anywhere). */
  private async reset(): Promise<void> {
    const generation = ++this.generation;
    this.loading.clear();
    if (!this.space || !this.conversationId) {
      this.items = [];
      return;
    }
    try {
      const head = await this.space.messages.page(this.conversationId, { page: 1, pageSize: 1 });
      if (generation !== this.generation) return;
      const grew = head.total > this.items.length;
      this.items = new Array<Message | undefined>(head.total).fill(undefined);
      const lastPage = Math.max(1, Math.ceil(head.total / PAGE_SIZE));
      await this.load(lastPage, generation);
      if (this.targetId) await this.revealTarget(generation);
      else if (this.scrollToEnd || grew) this.scrollToMessage(head.total - 1, 'end');
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private async load(page: number, generation = this.generation): Promise<void> {
    if (this.loading.has(page) || !this.space || !this.conversationId) return;
    this.loading.add(page);
    const result = await this.space.messages.page(this.conversationId, { page, pageSize: PAGE_SIZE });
    if (generation !== this.generation) return;
    const next = this.items.slice();
    result.items.forEach((m, i) => (next[(page - 1) * PAGE_SIZE + i] = m));
    this.items = next;
  }

  /** Finds the target message's page by scanning pages from the newest; conversations are read newest-first. */
  private async revealTarget(generation: number): Promise<void> {
    const pages = Math.ceil(this.items.length / PAGE_SIZE);
    for (let page = pages; page >= 1; page--) {
      await this.load(page, generation);
      const index = this.items.findIndex((m) => m?.id === this.targetId);
      if (index >= 0) {
        this.scrollToMessage(index, 'center');
        return;
      }
    }
  }

  private scrollToMessage(index: number, position: 'end' | 'center'): void {
    if (index < 0) return;
    void this.updateComplete.then(() => {
      this.renderRoot.querySelector<LitVirtualizer>('lit-virtualizer')?.scrollToIndex(index, position);
    });
  }

  private async deleteMessage(id: string): Promise<void> {
    try {
      await this.space!.messages.delete(id);
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private renderItem = (message: Message | undefined, index: number) => {
    if (!message) {
      void this.load(Math.floor(index / PAGE_SIZE) + 1);
      return html`<article class="placeholder" aria-busy="true">Loading…</article>`;
    }
    return html`<article data-role=${message.role} data-id=${message.id} ?data-target=${message.id === this.targetId} aria-posinset=${index + 1} aria-setsize=${this.items.length}>
      <header>
        <span class="role">${message.role}</span>
        <span class="row"
          ><time datetime=${new Date(message.createdAt).toISOString()}>${formatTime(message.createdAt)}</time>
          <button class="secondary" aria-label="Delete message" @click=${() => this.deleteMessage(message.id)}>✕</button></span
        >
      </header>
      <div class="content">${unsafeHTML(renderMarkdown(message.content))}</div>
    </article>`;
  };

  override render() {
    return html`
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <p class="meta">${this.items.length} messages</p>
      ${this.items.length === 0
        ? html`<p class="muted" data-testid="messages">No messages yet.</p>`
        : html`<lit-virtualizer scroller role="log" aria-live="polite" data-testid="messages" .items=${this.items} .renderItem=${this.renderItem}></lit-virtualizer>`}
    `;
  }
}

customElements.define('mn-message-list', MnMessageList);

declare global {
  interface HTMLElementTagNameMap {
    'mn-message-list': MnMessageList;
  }
}
