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
 * A row is the same row for the same message: a write reloads the messages as new objects, and keyed
 * by object every row would be rebuilt, closing the disclosures (reasoning, tool calls, recall) a
 * person has open. Rows still loading are keyed by position.
 */
const rowKey = (message: Message | undefined, index: number): string => message?.id ?? `loading:${index}`;
/**
 * Messages in the list at once. The virtualizer clamps its height at 8.2
 * million pixels (browsers misbehave past that), so a 100,000-message list
 * could not be scrolled to its newest fifth; 5,000 rows fit below the clamp up
 * to an average of 1,640 px each. A multiple of PAGE_SIZE, so pages align.
 */
export const WINDOW = 5_000;

/**
 * The messages of one conversation in a virtualized list: only the rows in
 * view are in the DOM and pages of 100 are fetched as they scroll into view,
 * so a 100k-message conversation opens as fast as a short one. A longer
 * conversation than WINDOW shows a window of it, with Older / Newer to move.
 */
export class MnMessageList extends MnView {
  static override properties = {
    ...MnView.properties,
    conversationId: { attribute: false },
    targetId: { attribute: false },
    items: { state: true },
    total: { state: true },
    offset: { state: true },
    error: { state: true },
    copied: { state: true },
  };

  declare conversationId: string | null;
  declare targetId: string | undefined;
  /** The window: messages offset … offset + items.length - 1 of the conversation (undefined until their page loads). */
  declare items: Array<Message | undefined>;
  /** Messages in the conversation. */
  declare total: number;
  /** The conversation index of items[0]; a multiple of PAGE_SIZE. */
  declare offset: number;
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
    this.total = 0;
    this.offset = 0;
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
    if (!first && this.items.length) this.scrollToMessage(this.offset + this.items.length - 1, 'end');
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
      .window {
        margin-bottom: 0.5rem;
      }
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
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: baseline;
        justify-content: space-between;
      }
      /* On a phone the time and the delete button move under the role as one piece, not split apart. */
      article header > .row {
        flex-wrap: nowrap;
        margin-left: auto;
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
      .actions button,
      .failure button {
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
      this.total = 0;
      this.offset = 0;
      void this.reset(true);
    } else if (changed.has('revision')) {
      this.scrollToEnd = false;
      void this.reset();
    } else if (changed.has('targetId') && this.targetId) {
      void this.revealTarget(this.generation);
    }
  }

  override updated(changed: Map<string, unknown>): void {
    // The virtualizer renders its rows again only when its own properties change, but the rows also
    // show this element's state: the "Copied" label and the marked message.
    if (changed.has('copied') || changed.has('targetId')) this.renderRoot.querySelector<LitVirtualizer>('lit-virtualizer')?.requestUpdate();
  }

  /** Reloads the total and the pages in view (after a write anywhere). */
  private async reset(changedConversation = false): Promise<void> {
    const generation = ++this.generation;
    this.loading.clear();
    if (!this.space || !this.conversationId) {
      this.items = [];
      this.total = 0;
      return;
    }
    try {
      const head = await this.space.messages.page(this.conversationId, { page: 1, pageSize: 1 });
      if (generation !== this.generation) return;
      const total = head.total;
      const atNewest = this.offset + this.items.length >= this.total;
      const grew = total > this.total && atNewest;
      // A new conversation, or one that shrank below the window, shows its newest messages; the newest
      // window grows with the conversation (a few rows past WINDOW are fine).
      const offset = changedConversation || this.offset >= total ? newestOffset(total) : this.offset;
      const end = atNewest || changedConversation ? total : Math.min(total, offset + this.items.length);
      // Rows keep their place when the conversation only grew or changed in place (streaming), so open
      // disclosures stay open; the last page is reloaded below.
      const keep = !changedConversation && offset === this.offset && total >= this.total;
      const next = new Array<Message | undefined>(end - offset).fill(undefined);
      if (keep) this.items.slice(0, next.length).forEach((m, i) => (next[i] = m));
      this.total = total;
      this.offset = offset;
      this.items = next;
      await this.load(Math.max(1, Math.ceil(end / PAGE_SIZE)), generation);
      if (this.targetId) await this.revealTarget(generation);
      else if (this.scrollToEnd || grew) this.scrollToMessage(total - 1, 'end');
    } catch (error) {
      this.error = errorText(error);
    }
  }

  /** Loads a page (numbered in the whole conversation) into the window. */
  private async load(page: number, generation = this.generation): Promise<void> {
    if (this.loading.has(page) || !this.space || !this.conversationId) return;
    this.loading.add(page);
    const result = await this.space.messages.page(this.conversationId, { page, pageSize: PAGE_SIZE });
    if (generation !== this.generation) return;
    const next = this.items.slice();
    result.items.forEach((m, i) => {
      const at = (page - 1) * PAGE_SIZE + i - this.offset;
      if (at >= 0 && at < next.length) next[at] = m;
    });
    this.items = next;
    await this.markLeftStreaming(result.items);
  }

  /** Shows the window that holds message `index` of the conversation, then scrolls to it. */
  private async showWindow(offset: number, index: number, position: 'start' | 'end' | 'center', generation = this.generation): Promise<void> {
    const aligned = pageStart(Math.min(offset, newestOffset(this.total)));
    this.loading.clear();
    this.offset = aligned;
    this.items = new Array<Message | undefined>(Math.min(this.total, aligned + WINDOW) - aligned).fill(undefined);
    await this.load(Math.floor(index / PAGE_SIZE) + 1, generation);
    this.scrollToMessage(index, position);
  }

  /** Older: the window before this one, at its newest message (where reading upwards left off). */
  private showOlder(): void {
    const index = this.offset;
    void this.showWindow(this.offset + PAGE_SIZE - WINDOW, index, 'end');
  }

  /** Newer: the window after this one, at its oldest message. */
  private showNewer(): void {
    const index = this.offset + this.items.length - 1;
    void this.showWindow(index - PAGE_SIZE + 1, index, 'start');
  }

  private showNewest(): void {
    void this.showWindow(newestOffset(this.total), this.total - 1, 'end');
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

  /**
   * Finds the target message's place in the conversation — pages are in time
   * order, so a binary search over them by its time (about 10 pages for
   * 100,000 messages) — then shows the window around it.
   */
  private async revealTarget(generation: number): Promise<void> {
    const space = this.space;
    const targetId = this.targetId;
    if (!space || !this.conversationId || !targetId) return;
    const target = await space.messages.get(targetId).catch(() => null);
    if (!target || generation !== this.generation) return;
    const conversationId = this.conversationId;
    const pageAt = async (page: number) => (await space.messages.page(conversationId, { page, pageSize: PAGE_SIZE })).items;
    const find = async (page: number) => {
      const i = (await pageAt(page)).findIndex((m) => m.id === targetId);
      return i < 0 ? -1 : (page - 1) * PAGE_SIZE + i;
    };
    let low = 1;
    let high = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    let index = -1;
    while (low <= high && index < 0) {
      const mid = (low + high) >> 1;
      const items = await pageAt(mid);
      const found = items.findIndex((m) => m.id === targetId);
      if (found >= 0) index = (mid - 1) * PAGE_SIZE + found;
      else if (items.length === 0 || target.createdAt < items[0]!.createdAt) high = mid - 1;
      else if (target.createdAt > items.at(-1)!.createdAt) low = mid + 1;
      else {
        // Same time as this page's edge: the neighbours.
        index = Math.max(await find(mid - 1), await find(mid + 1));
        break;
      }
    }
    if (index < 0 || generation !== this.generation) return;
    if (index >= this.offset && index < this.offset + this.items.length) {
      await this.load(Math.floor(index / PAGE_SIZE) + 1, generation);
      this.scrollToMessage(index, 'center');
    } else {
      await this.showWindow(index - WINDOW / 2, index, 'center', generation);
    }
  }

  /**
   * A virtualizer made in the same render as its items (a conversation just
   * opened) takes them in its own later update; until it has, `element(index)`
   * is undefined and a scroll would be lost, leaving the list on its oldest
   * message. So: wait for both updates, then for the item, a few frames at most.
   */
  private scrollToMessage(index: number, position: 'start' | 'end' | 'center'): void {
    const local = index - this.offset;
    if (local < 0 || local >= this.items.length) return;
    const generation = this.generation;
    void (async () => {
      await this.updateComplete;
      const scroller = this.renderRoot.querySelector<LitVirtualizer>('lit-virtualizer');
      if (!scroller) return;
      await scroller.updateComplete;
      for (let frame = 0; frame < 30 && !scroller.element(local); frame++) await new Promise(requestAnimationFrame);
      if (generation === this.generation) scroller.element(local)?.scrollIntoView({ block: position });
    })();
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
      void this.load(Math.floor((this.offset + index) / PAGE_SIZE) + 1);
      return html`<article class="placeholder" aria-busy="true">Loading…</article>`;
    }
    return html`<article data-role=${message.role} data-id=${message.id} ?data-target=${message.id === this.targetId} ?data-streaming=${message.isStreaming} data-error=${message.error ?? nothing} aria-posinset=${this.offset + index + 1} aria-setsize=${this.total}>
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

  /** Only for conversations longer than one window: where the window is, and the ways to move it. */
  private renderWindowBar() {
    if (this.items.length === 0 || this.items.length >= this.total) return nothing;
    const end = this.offset + this.items.length;
    return html`<div class="row window" data-testid="message-window">
      <span class="meta" aria-live="polite">Showing ${(this.offset + 1).toLocaleString()}–${end.toLocaleString()} of ${this.total.toLocaleString()}</span>
      ${this.offset > 0 ? html`<button type="button" class="secondary" @click=${this.showOlder}>Older messages</button>` : nothing}
      ${end < this.total
        ? html`<button type="button" class="secondary" @click=${this.showNewer}>Newer messages</button>
            <button type="button" class="secondary" @click=${this.showNewest}>Newest</button>`
        : nothing}
    </div>`;
  }

  override render() {
    return html`
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <p class="meta">${this.total.toLocaleString()} ${this.total === 1 ? 'message' : 'messages'}</p>
      ${this.renderWindowBar()}
      ${this.items.length === 0
        ? html`<p class="muted" data-testid="messages">No messages yet.</p>`
        : html`<lit-virtualizer scroller role="log" aria-live="polite" data-testid="messages" .items=${this.items} .keyFunction=${rowKey} .renderItem=${this.renderItem}></lit-virtualizer>`}
    `;
  }
}

customElements.define('mn-message-list', MnMessageList);

declare global {
  interface HTMLElementTagNameMap {
    'mn-message-list': MnMessageList;
  }
}

/** The window start that shows a conversation's newest messages. */
function newestOffset(total: number): number {
  return pageStart(total - WINDOW);
}

/** The first index of the page holding `index` (0 for anything below 0): windows start on a page. */
function pageStart(index: number): number {
  const start = Math.max(0, index);
  return start - (start % PAGE_SIZE);
}
