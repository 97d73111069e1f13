import '@lit-labs/virtualizer';
import type { LitVirtualizer } from '@lit-labs/virtualizer/LitVirtualizer.js';
import { css, html, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { Message } from '../shared/models';
import { chatErrorOf, finishInterruptedRun, INTERRUPTED, isInterrupted, markInterrupted, recallOf } from './chat/turn';
import { codeBlocks, loadRemoteImage, renderMarkdown } from './markdown';
import type { ResendRequest } from './mn-chat-composer';
import './mn-countdown';
import './mn-recall-panel';
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
    copied: { state: true },
  };

  declare conversationId: string | null;
  declare targetId: string | undefined;
  declare items: Array<Message | undefined>;
  declare error: string | null;
  /** `<message id>:<block index>` of the code block just copied. */
  declare copied: string | null;
  /** Answers already marked interrupted, or whose run was already closed, by this list. */
  private readonly marked = new Set<string>();
  private readonly loading = new Set<number>();
  private generation = 0;
  private scrollToEnd = true;

  constructor() {
    super();
    this.conversationId = null;
    this.items = [];
    this.error = null;
    this.copied = null;
  }

  /**
   * A width change (phone rotation, window resize) changes every row's height;
   * the virtualizer keeps its old scroll offset, which can then point past the
   * end of the shorter list and show nothing. Re-anchor on the newest message.
   */
  private readonly resizes = new ResizeObserver((entries) => {
    const width = Math.round(entries[0]?.contentRect.width ?? 0);
    if (width === this.width) return;
    const first = this.width === 0;
    this.width = width;
    if (!first && this.items.length) this.scrollToMessage(this.items.length - 1, 'end');
  });
  private width = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizes.observe(this);
  }

  override disconnectedCallback(): void {
    this.resizes.disconnect();
    super.disconnectedCallback();
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
      .content pre {
        font-family: var(--mn-mono);
      }
      details {
        margin: 0.3rem 0;
        font-size: 0.9rem;
      }
      details summary {
        cursor: pointer;
        color: var(--mn-muted);
      }
      details pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 0.3rem 0;
        font-family: var(--mn-mono);
        font-size: 0.85rem;
      }
      .failure {
        border-left: 3px solid var(--mn-danger);
        padding: 0.3rem 0.6rem;
        margin: 0.3rem 0;
      }
      .failure p {
        margin: 0.2rem 0;
      }
      .actions button {
        padding: 0.2rem 0.6rem;
        font-size: 0.85rem;
      }
      .streaming::after {
        content: ' ▍';
        color: var(--mn-accent);
      }
      .placeholder {
        color: var(--mn-muted);
        min-height: 3rem;
      }
      .content img {
        max-width: 100%;
      }
      .content .remote-image {
        border: 1px dashed var(--mn-border);
        background: none;
        color: var(--mn-muted);
        font-size: 0.85rem;
        padding: 0.3rem 0.6rem;
        max-width: 100%;
        overflow-wrap: anywhere;
        text-align: start;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('conversationId')) {
      this.scrollToEnd = !this.targetId;
      this.items = [];
      void this.reset(true);
    } else if (changed.has('revision')) {
      this.scrollToEnd = false;
      void this.reset();
    }
  }

  /** Reloads the total and the pages in view (after a write anywhere). */
  private async reset(changedConversation = false): Promise<void> {
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
      // Rows keep their place when the conversation only grew or changed in place (streaming), so open
      // disclosures stay open; the last page is reloaded below.
      const keep = head.total >= this.items.length && !changedConversation;
      const next = new Array<Message | undefined>(head.total).fill(undefined);
      if (keep) this.items.forEach((m, i) => (next[i] = m));
      this.items = next;
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
    await this.markLeftStreaming(result.items);
  }

  /**
   * Answers still "streaming" with no live request in any tab were cut off by a reload or a closed
   * tab: they are marked interrupted. The run of an interrupted answer (marked here, or by its own
   * page as it went away) is closed as cancelled.
   */
  private async markLeftStreaming(items: Message[]): Promise<void> {
    const space = this.space;
    const open = items.filter((m) => (m.isStreaming || m.error === INTERRUPTED) && !this.marked.has(m.id));
    if (open.length === 0 || !space) return;
    const held = new Set(((await navigator.locks.query()).held ?? []).flatMap((lock) => (lock.name ? [lock.name] : [])));
    for (const message of open) {
      if (message.isStreaming && !isInterrupted(message, held)) continue;
      this.marked.add(message.id);
      const marking = message.isStreaming ? markInterrupted(space, message) : Promise.resolve();
      await marking.then(() => finishInterruptedRun(space, message.id)).catch((error: unknown) => (this.error = errorText(error)));
    }
  }

  private async copyCode(message: Message, index: number, code: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(code);
      this.copied = `${message.id}:${index}`;
    } catch {
      this.error = 'Copying needs clipboard permission.';
    }
  }

  private resend(message: Message, replaces: boolean): void {
    const replyTo = message.metadata['replyTo'];
    if (typeof replyTo !== 'string') return;
    const detail: ResendRequest = { userMessageId: replyTo, exclude: [], ...(replaces ? { replaces: message.id } : {}) };
    this.dispatchEvent(new CustomEvent('mn-chat-resend', { detail, bubbles: true, composed: true }));
  }

  /** Regenerate (an answer) and Edit (a user message) keep the earlier text in a branch conversation. */
  private branch(type: 'mn-chat-regenerate' | 'mn-chat-edit', message: Message): void {
    this.dispatchEvent(new CustomEvent<Message>(type, { detail: message, bubbles: true, composed: true }));
  }

  private renderExtras(message: Message) {
    if (message.role === 'user' && !message.isStreaming) {
      return html`<div class="row actions"><button type="button" class="secondary" aria-label="Edit this message" @click=${() => this.branch('mn-chat-edit', message)}>Edit</button></div>`;
    }
    if (message.role !== 'assistant') return nothing;
    const failure = chatErrorOf(message);
    const calls = Array.isArray(message.toolCalls) ? (message.toolCalls as Array<{ function?: { name?: string; arguments?: string } }>) : [];
    const blocks = codeBlocks(message.content);
    const replyTo = typeof message.metadata['replyTo'] === 'string';
    return html`
      ${message.thinking ? html`<details class="thinking"><summary>Reasoning</summary><pre>${message.thinking}</pre></details>` : nothing}
      ${calls.length > 0
        ? html`<details class="tools"><summary>${calls.length} tool ${calls.length === 1 ? 'call' : 'calls'}</summary>
            ${calls.map((c) => html`<pre>${c.function?.name ?? '?'}(${c.function?.arguments ?? ''})</pre>`)}
          </details>`
        : nothing}
      ${blocks.length > 0
        ? html`<div class="row actions">${blocks.map((code, i) => html`<button type="button" class="secondary" @click=${() => this.copyCode(message, i, code)}>
            ${this.copied === `${message.id}:${i}` ? 'Copied' : blocks.length === 1 ? 'Copy code' : `Copy code ${i + 1}`}</button>`)}</div>`
        : nothing}
      ${failure
        ? html`<div class="failure" role="alert" data-testid="chat-error">
            <p class="error"><strong>${failure.message}</strong></p>
            ${failure.hint && !failure.retryAfterSeconds ? html`<p class="meta">${failure.hint}</p>` : nothing}
            ${failure.detail ? html`<p class="meta">Server said: ${failure.detail}</p>` : nothing}
            ${failure.retryAfterSeconds ? html`<p class="meta"><mn-countdown .until=${message.updatedAt + failure.retryAfterSeconds * 1000}></mn-countdown></p>` : nothing}
            ${replyTo ? html`<button type="button" class="secondary" @click=${() => this.resend(message, message.content === '')}>Retry</button>` : nothing}
          </div>`
        : nothing}
      ${message.metadata['stopped'] === true ? html`<p class="meta">Stopped.</p>` : nothing}
      ${replyTo && !message.isStreaming
        ? html`<div class="row actions"><button type="button" class="secondary" @click=${() => this.branch('mn-chat-regenerate', message)}>Regenerate</button></div>`
        : nothing}
      <mn-recall-panel .recall=${recallOf(message)} .messageId=${message.id} .replyTo=${replyTo ? (message.metadata['replyTo'] as string) : undefined}></mn-recall-panel>
    `;
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
    return html`<article data-role=${message.role} data-id=${message.id} ?data-target=${message.id === this.targetId} ?data-streaming=${message.isStreaming} data-error=${message.error ?? nothing} aria-posinset=${index + 1} aria-setsize=${this.items.length}>
      <header>
        <span><span class="role">${message.role}</span>${message.model ? html` <span class="meta">${message.model}${message.tokensUsed ? ` · ${message.tokensUsed} tokens` : ''}</span>` : nothing}</span>
        <span class="row"
          >${message.isStreaming ? html`<span class="meta">answering…</span>` : nothing}<time datetime=${new Date(message.createdAt).toISOString()}>${formatTime(message.createdAt)}</time>
          <button class="secondary" aria-label="Delete message" @click=${() => this.deleteMessage(message.id)}>✕</button></span
        >
      </header>
      <div class=${message.isStreaming ? 'content streaming' : 'content'} @click=${loadRemoteImage}>${unsafeHTML(renderMarkdown(message.content))}</div>
      ${this.renderExtras(message)}
    </article>`;
  };

  override render() {
    return html`
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <p class="meta">${this.items.length.toLocaleString()} ${this.items.length === 1 ? 'message' : 'messages'}</p>
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
