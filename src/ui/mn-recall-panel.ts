import { LitElement, css, html, nothing } from 'lit';
import type { RecallEntry, RecallRecord } from './chat/turn';
import type { ResendRequest } from './mn-chat-composer';
import { controls } from './styles';

/**
 * What an answer recalled: a disclosure "N memories recalled" with each item,
 * its source and score, and a checkbox to leave it out; "Resend without
 * excluded" asks again for the same user message without the unchecked items.
 * An answer given with memory off says "Memory off" and which switch did it.
 */
export class MnRecallPanel extends LitElement {
  static override properties = {
    recall: { attribute: false },
    messageId: { attribute: false },
    replyTo: { attribute: false },
    disabled: { type: Boolean },
    unchecked: { state: true },
  };

  declare recall: RecallRecord | null;
  declare messageId: string | undefined;
  /** The user message this answer replied to. */
  declare replyTo: string | undefined;
  declare disabled: boolean;
  declare unchecked: ReadonlySet<string>;

  constructor() {
    super();
    this.recall = null;
    this.disabled = false;
    this.unchecked = new Set();
  }

  static override styles = [
    controls,
    css`
      details {
        margin-top: 0.35rem;
      }
      summary {
        cursor: pointer;
        font-size: 0.85rem;
        color: var(--mn-muted);
      }
      li {
        padding: 0.3rem 0;
        border-bottom: 1px solid var(--mn-border);
      }
      label {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
      }
      .line {
        overflow-wrap: anywhere;
      }
      li.out .line {
        text-decoration: line-through;
        color: var(--mn-muted);
      }
      button {
        margin-top: 0.4rem;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    // The virtualizer reuses this element for other answers.
    if (changed.has('messageId')) {
      this.unchecked = new Set((this.recall?.excluded ?? []).filter((e) => e.reason === 'excluded-by-user').map((e) => e.key));
    }
  }

  private toggle(key: string, checked: boolean): void {
    const next = new Set(this.unchecked);
    if (checked) next.delete(key);
    else next.add(key);
    this.unchecked = next;
  }

  private resend(): void {
    if (!this.replyTo) return;
    const detail: ResendRequest = { userMessageId: this.replyTo, exclude: [...this.unchecked] };
    this.dispatchEvent(new CustomEvent('mn-chat-resend', { detail, bubbles: true, composed: true }));
  }

  private renderItem(entry: RecallEntry) {
    const out = this.unchecked.has(entry.key);
    return html`<li class=${out ? 'out' : ''} data-kind=${entry.kind}>
      <label>
        <input type="checkbox" .checked=${!out} @change=${(e: Event) => this.toggle(entry.key, (e.target as HTMLInputElement).checked)} aria-label="Use: ${entry.line}" />
        <span><span class="line">${entry.line}</span><br /><span class="meta">${entry.source} · ${entry.kind} · score ${entry.score.toFixed(3)}</span></span>
      </label>
    </li>`;
  }

  override render() {
    const recall = this.recall;
    if (!recall) return nothing;
    if (recall.memoryOff) {
      return html`<p class="meta" data-testid="recalled">
        Memory off ${recall.memoryOff === 'conversation' ? 'for this conversation' : 'in this space'}: nothing was recalled for this answer.
      </p>`;
    }
    const count = recall.included.length;
    const byUser = recall.excluded.filter((e) => e.reason === 'excluded-by-user');
    const before = new Set(byUser.map((e) => e.key));
    const changed = this.unchecked.size !== before.size || [...this.unchecked].some((k) => !before.has(k));
    return html`<details>
      <summary data-testid="recalled">${count} ${count === 1 ? 'memory' : 'memories'} recalled${byUser.length > 0 ? `, ${byUser.length} left out by you` : ''}</summary>
      ${recall.error ? html`<p class="error">${recall.error}</p>` : nothing}
      ${count + byUser.length === 0
        ? html`<p class="meta">Nothing in this space matched the message.</p>`
        : html`<ul class="plain" aria-label="Recalled items">${[...recall.included, ...byUser].map((e) => this.renderItem(e))}</ul>`}
      <p class="meta">System prompt: about ${recall.tokens} of ${recall.budgetTokens} tokens.${recall.excluded.some((e) => e.reason === 'over-budget') ? ' Some items did not fit.' : ''}</p>
      <button type="button" class="secondary" ?disabled=${this.disabled || !changed || !this.replyTo} @click=${this.resend}>Resend without excluded</button>
    </details>`;
  }
}

customElements.define('mn-recall-panel', MnRecallPanel);

declare global {
  interface HTMLElementTagNameMap {
    'mn-recall-panel': MnRecallPanel;
  }
}
