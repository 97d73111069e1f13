import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { Conversation, Page, Session } from '../shared/models';
import { scopeKey } from '../shared/scope';
import type { ResendRequest } from './mn-chat-composer';
import './mn-chat-composer';
import './mn-message-list';
import { controls, errorText } from './styles';
import { MnView } from './view';

/** Sessions → conversations → messages, with forms to add each. */
export class MnChats extends MnView {
  static override properties = {
    ...MnView.properties,
    sessionId: { state: true },
    conversationId: { state: true },
    error: { state: true },
    target: { attribute: false },
  };

  declare sessionId: string | null;
  declare conversationId: string | null;
  declare error: string | null;
  /** Opens this session/conversation and marks the message (set when coming from search). */
  declare target: { sessionId?: string; conversationId?: string; messageId?: string } | undefined;

  constructor() {
    super();
    this.sessionId = null;
    this.conversationId = null;
    this.error = null;
  }

  static override styles = [
    controls,
    css`
      .layout {
        display: grid;
        grid-template-columns: minmax(12rem, 1fr) minmax(12rem, 1fr) minmax(0, 3fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 760px) {
        .layout {
          grid-template-columns: 1fr;
        }
      }
      li button.pick {
        width: 100%;
        text-align: left;
        background: transparent;
        color: var(--mn-text);
        border: 1px solid transparent;
        padding: 0.45rem 0.5rem;
      }
      li button.pick[aria-current='true'] {
        background: var(--mn-surface-2);
        border-color: var(--mn-border);
      }
      form {
        margin-top: 0.75rem;
      }
      form input[name='name'],
      form input[name='title'] {
        flex: 1;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('target') && (this.target?.conversationId || this.target?.sessionId)) {
      this.sessionId = this.target.sessionId ?? this.sessionId;
      this.conversationId = this.target.conversationId ?? null;
      }
  }

  private readonly sessions = new Task(this, {
    task: async ([, scopeKey]) => {
      if (!scopeKey) return undefined;
      return this.space!.sessions.list({ pageSize: 200 });
    },
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private readonly conversations = new Task(this, {
    task: async ([, sessionId]): Promise<Page<Conversation> | undefined> => {
      if (!sessionId) return undefined;
      return this.space!.conversations.list({ sessionId, pageSize: 200 });
    },
    args: () => [this.revision, this.sessionId] as const,
  });

  private async run(action: () => Promise<unknown>): Promise<boolean> {
    this.error = null;
    try {
      await action();
      return true;
    } catch (error) {
      this.error = errorText(error);
      return false;
    }
  }

  private async createSession(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim();
    if (!name) return;
    await this.run(async () => {
      const session: Session = await this.space!.sessions.create({ name });
      this.sessionId = session.id;
      this.conversationId = null;
      form.reset();
    });
  }

  private async createConversation(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const title = String(new FormData(form).get('title') ?? '').trim();
    if (!this.sessionId) return;
    await this.run(async () => {
      const conversation = await this.space!.conversations.create({ sessionId: this.sessionId!, title: title || null });
      this.conversationId = conversation.id;
        form.reset();
    });
  }

  /** Retry and "Resend without excluded" from an answer in the list. */
  private resend(event: CustomEvent<ResendRequest>): void {
    void this.renderRoot.querySelector('mn-chat-composer')?.resend(event.detail);
  }

  private async deleteSession(id: string): Promise<void> {
    if (!confirm('Delete this session with all its conversations, messages and documents?')) return;
    await this.run(() => this.space!.sessions.delete(id));
    if (this.sessionId === id) {
      this.sessionId = null;
      this.conversationId = null;
    }
  }

  private renderSessions() {
    return html`<section class="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      ${this.sessions.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error">${errorText(e)}</p>`,
        complete: (page) =>
          page && page.items.length
            ? html`<ul class="plain" data-testid="sessions">
                ${page.items.map(
                  (s) => html`<li class="row">
                    <button
                      class="pick"
                      aria-current=${s.id === this.sessionId ? 'true' : 'false'}
                      @click=${() => {
                        this.sessionId = s.id;
                        this.conversationId = null;
                      }}
                    >
                      ${s.name}
                    </button>
                  </li>`,
                )}
              </ul>`
            : html`<p class="muted">No sessions yet.</p>`,
      })}
      <form class="row" @submit=${this.createSession} aria-label="New session">
        <label class="sr-only" for="session-name">Session name</label>
        <input id="session-name" name="name" placeholder="New session name" required maxlength="200" />
        <button type="submit">Add</button>
      </form>
      ${this.sessionId
        ? html`<p><button class="danger" @click=${() => this.deleteSession(this.sessionId!)}>Delete session</button></p>`
        : nothing}
    </section>`;
  }

  private renderConversations() {
    if (!this.sessionId) return html`<section class="card"><h2>Conversations</h2><p class="muted">Pick a session.</p></section>`;
    return html`<section class="card" aria-labelledby="conversations-h">
      <h2 id="conversations-h">Conversations</h2>
      ${this.conversations.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error">${errorText(e)}</p>`,
        complete: (page) =>
          page && page.items.length
            ? html`<ul class="plain" data-testid="conversations">
                ${page.items.map(
                  (c) => html`<li>
                    <button
                      class="pick"
                      aria-current=${c.id === this.conversationId ? 'true' : 'false'}
                      @click=${() => {
                        this.conversationId = c.id;
                                          }}
                    >
                      ${c.title ?? 'Untitled'} <span class="meta">${c.status}</span>
                    </button>
                  </li>`,
                )}
              </ul>`
            : html`<p class="muted">No conversations in this session.</p>`,
      })}
      <form class="row" @submit=${this.createConversation} aria-label="New conversation">
        <label class="sr-only" for="conversation-title">Conversation title</label>
        <input id="conversation-title" name="title" placeholder="New conversation title" maxlength="200" />
        <button type="submit">Add</button>
      </form>
    </section>`;
  }

  private renderMessages() {
    if (!this.conversationId) return html`<section class="card"><h2>Messages</h2><p class="muted">Pick a conversation.</p></section>`;
    return html`<section class="card" aria-labelledby="messages-h">
      <h2 id="messages-h">Messages</h2>
      <mn-message-list
        @mn-chat-resend=${this.resend}
        .conversationId=${this.conversationId}
        .targetId=${this.target?.conversationId === this.conversationId ? this.target?.messageId : undefined}
      ></mn-message-list>
      <mn-chat-composer .conversationId=${this.conversationId}></mn-chat-composer>
    </section>`;
  }

  override render() {
    return html`
      ${this.error ? html`<p class="card error" role="alert">${this.error}</p>` : nothing}
      <div class="layout">${this.renderSessions()} ${this.renderConversations()} ${this.renderMessages()}</div>
    `;
  }
}

customElements.define('mn-chats', MnChats);

declare global {
  interface HTMLElementTagNameMap {
    'mn-chats': MnChats;
  }
}
