import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { CONVERSATION_STATUSES, type Agent, type Conversation, type ConversationStatus, type Message, type Page, type Session } from '../shared/models';
import { scopeKey } from '../shared/scope';
import type { ResendRequest } from './mn-chat-composer';
import './mn-chat-composer';
import './mn-message-list';
import { navigate } from './route';
import { controls, picking } from './styles';
import { attempt, MnView, renderTask } from './view';

const text = (data: FormData, key: string) => String(data.get(key) ?? '').trim();

/**
 * Sessions → conversations → messages, with forms to add each; the selected
 * session (role, goals, agent) and conversation (title, status, archive,
 * delete) can be edited. The selection is the route `#chats/<session>/<conversation>`.
 */
export class MnChats extends MnView {
  static override properties = {
    ...MnView.properties,
    sessionId: { attribute: false },
    conversationId: { attribute: false },
    error: { state: true },
    notice: { state: true },
    confirming: { state: true },
    target: { attribute: false },
  };

  declare sessionId: string | null;
  declare conversationId: string | null;
  declare error: string | null;
  declare notice: string | null;
  /** The delete waiting for confirmation. */
  declare confirming: 'session' | 'conversation' | null;
  /** Marks a message (set when coming from search). */
  declare target: { sessionId?: string; conversationId?: string; messageId?: string } | undefined;

  constructor() {
    super();
    this.sessionId = null;
    this.conversationId = null;
    this.error = null;
    this.notice = null;
    this.confirming = null;
  }

  static override styles = [
    controls,
    picking,
    css`
      .layout {
        display: grid;
        grid-template-columns: minmax(12rem, 1fr) minmax(12rem, 1fr) minmax(0, 3fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 760px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      form {
        margin-top: 0.75rem;
      }
      form input[name='name'],
      form input[name='title'] {
        flex: 1;
      }
      details {
        margin-top: 0.75rem;
      }
      details form.edit {
        display: grid;
        gap: 0.5rem;
      }
      details form.edit label {
        display: grid;
        gap: 0.2rem;
      }
      textarea {
        min-height: 3rem;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('sessionId') || changed.has('conversationId')) this.confirming = null;
  }

  /** The `n` shortcut: the composer, or the new-conversation field when none is open. */
  focusStart(): void {
    const id = this.conversationId ? null : this.sessionId ? '#conversation-title' : '#session-name';
    if (id) this.renderRoot.querySelector<HTMLElement>(id)?.focus();
    else this.renderRoot.querySelector('mn-chat-composer')?.focusStart();
  }

  private select(sessionId: string | null, conversationId: string | null = null): void {
    this.sessionId = sessionId;
    this.conversationId = conversationId;
    navigate('chats', sessionId, conversationId);
  }

  private readonly sessions = new Task(this, {
    task: async ([, scopeKey]) => {
      if (!scopeKey) return undefined;
      return this.space!.sessions.list({ pageSize: 200 });
    },
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private readonly agents = new Task(this, {
    task: async ([, scopeKey]): Promise<Agent[]> => (scopeKey ? (await this.space!.agents.list({ pageSize: 200 })).items : []),
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private readonly conversations = new Task(this, {
    task: async ([, sessionId]): Promise<Page<Conversation> | undefined> => {
      if (!sessionId) return undefined;
      return this.space!.conversations.list({ sessionId, pageSize: 200 });
    },
    args: () => [this.revision, this.sessionId] as const,
  });

  private run(action: () => Promise<unknown>, done: string | null = null): Promise<boolean> {
    return attempt(this, action, done);
  }

  private async createSession(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = text(new FormData(form), 'name');
    if (!name) return;
    await this.run(async () => {
      const session: Session = await this.space!.sessions.create({ name });
      this.select(session.id);
      form.reset();
    });
  }

  private async saveSession(session: Session, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const agentId = text(data, 'agentId');
    await this.run(
      () =>
        this.space!.sessions.update(session.id, {
          name: text(data, 'name') || session.name,
          role: text(data, 'role') || null,
          goals: text(data, 'goals') || null,
          agentId: agentId || null,
        }),
      'Session saved.',
    );
  }

  private async createConversation(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const title = text(new FormData(form), 'title');
    if (!this.sessionId) return;
    await this.run(async () => {
      const conversation = await this.space!.conversations.create({ sessionId: this.sessionId!, title: title || null });
      this.select(this.sessionId, conversation.id);
      form.reset();
    });
  }

  private async saveConversation(conversation: Conversation, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    await this.run(
      () =>
        this.space!.conversations.update(conversation.id, {
          title: text(data, 'title') || null,
          status: text(data, 'status') as ConversationStatus,
        }),
      'Conversation saved.',
    );
  }

  /** Retry and "Resend without excluded" from an answer in the list. */
  private resend(event: CustomEvent<ResendRequest>): void {
    void this.renderRoot.querySelector('mn-chat-composer')?.resend(event.detail);
  }

  private async deleteSession(id: string): Promise<void> {
    if (await this.run(() => this.space!.sessions.delete(id), 'Session deleted.')) this.select(null);
  }

  private async deleteConversation(id: string): Promise<void> {
    if (await this.run(() => this.space!.conversations.delete(id), 'Conversation deleted.')) this.select(this.sessionId);
  }

  private confirmBox(what: 'session' | 'conversation', body: string, action: () => void) {
    if (this.confirming !== what) return nothing;
    return html`<div class="confirm" role="group" aria-label="Confirm deleting the ${what}">
      <p>${body}</p>
      <div class="row">
        <button class="danger" @click=${action}>Delete ${what}</button>
        <button class="secondary" @click=${() => (this.confirming = null)}>Cancel</button>
      </div>
    </div>`;
  }

  private renderSessionDetails(session: Session) {
    const agents = this.agents.value ?? [];
    return html`<details>
        <summary>Session details</summary>
        <form class="edit" aria-label="Edit session" @submit=${(e: SubmitEvent) => this.saveSession(session, e)}>
          <label>Name <input name="name" .value=${session.name} required maxlength="200" /></label>
          <label>Role <input name="role" .value=${session.role ?? ''} maxlength="200" placeholder="e.g. travel planner" /></label>
          <label>Goals <textarea name="goals" .value=${session.goals ?? ''} maxlength="4000"></textarea></label>
          <label
            >Agent
            <select name="agentId">
              <option value="" ?selected=${!session.agentId}>No agent (the chat's own)</option>
              ${agents.map((a) => html`<option value=${a.id} ?selected=${a.id === session.agentId}>${a.name}${a.isActive ? '' : ' (inactive)'}</option>`)}
            </select>
          </label>
          <div class="row"><button type="submit">Save session</button></div>
        </form>
      </details>
      <p><button class="danger" @click=${() => (this.confirming = 'session')}>Delete session…</button></p>
      ${this.confirmBox('session', `Delete “${session.name}” with all its conversations, messages and documents?`, () => void this.deleteSession(session.id))}`;
  }

  private renderSessions() {
    return html`<section class="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      ${renderTask(this.sessions, {
        key: this.scope && scopeKey(this.scope),
        complete: (page) =>
          page && page.items.length
            ? html`<ul class="plain" data-testid="sessions">
                ${page.items.map(
                  (s) => html`<li class="row">
                    <button class="pick" aria-current=${s.id === this.sessionId ? 'true' : 'false'} @click=${() => this.select(s.id)}>${s.name}</button>
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
      ${(() => {
        const session = this.sessions.value?.items.find((s) => s.id === this.sessionId);
        return session ? this.renderSessionDetails(session) : nothing;
      })()}
    </section>`;
  }

  private renderConversationDetails(c: Conversation) {
    return html`<details>
        <summary>Conversation details</summary>
        <form class="edit" aria-label="Edit conversation" @submit=${(e: SubmitEvent) => this.saveConversation(c, e)}>
          <label>Title <input name="title" .value=${c.title ?? ''} maxlength="200" /></label>
          <label
            >Status
            <select name="status">
              ${CONVERSATION_STATUSES.map((s) => html`<option value=${s} ?selected=${s === c.status}>${s}</option>`)}
            </select>
          </label>
          <div class="row"><button type="submit">Save conversation</button></div>
        </form>
      </details>
      <p class="row">
        ${c.status === 'archived'
          ? html`<button class="secondary" @click=${() => this.run(() => this.space!.conversations.update(c.id, { status: 'active' }), 'Conversation restored.')}>Unarchive</button>`
          : html`<button class="secondary" @click=${() => this.run(() => this.space!.conversations.update(c.id, { status: 'archived' }), 'Conversation archived.')}>Archive</button>`}
        <button class="danger" @click=${() => (this.confirming = 'conversation')}>Delete conversation…</button>
      </p>
      ${this.confirmBox('conversation', `Delete “${c.title ?? 'Untitled'}” and all its messages?`, () => void this.deleteConversation(c.id))}`;
  }

  private renderConversations() {
    if (!this.sessionId) return html`<section class="card" aria-label="Conversations"><h2>Conversations</h2><p class="muted">Pick a session.</p></section>`;
    return html`<section class="card" aria-labelledby="conversations-h">
      <h2 id="conversations-h">Conversations</h2>
      ${renderTask(this.conversations, {
        key: this.sessionId,
        complete: (page) =>
          page && page.items.length
            ? html`<ul class="plain" data-testid="conversations">
                ${page.items.map(
                  (c) => html`<li>
                    <button class="pick" aria-current=${c.id === this.conversationId ? 'true' : 'false'} @click=${() => this.select(this.sessionId, c.id)}>
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
      ${(() => {
        const conversation = this.conversations.value?.items.find((c) => c.id === this.conversationId);
        return conversation ? this.renderConversationDetails(conversation) : nothing;
      })()}
    </section>`;
  }

  private renderMessages() {
    if (!this.conversationId) return html`<section class="card" aria-label="Messages"><h2>Messages</h2><p class="muted">Pick a conversation.</p></section>`;
    return html`<section class="card" aria-labelledby="messages-h">
      <h2 id="messages-h">Messages</h2>
      <mn-message-list
        @mn-chat-resend=${this.resend}
        @mn-chat-regenerate=${(e: CustomEvent<Message>) => void this.renderRoot.querySelector('mn-chat-composer')?.regenerate(e.detail)}
        @mn-chat-edit=${(e: CustomEvent<Message>) => this.renderRoot.querySelector('mn-chat-composer')?.startEdit(e.detail)}
        .conversationId=${this.conversationId}
        .targetId=${this.target?.conversationId === this.conversationId ? this.target?.messageId : undefined}
      ></mn-message-list>
      <mn-chat-composer .conversationId=${this.conversationId} .sessionId=${this.sessionId}></mn-chat-composer>
    </section>`;
  }

  override render() {
    return html`
      ${this.error ? html`<p class="card error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="meta" role="status" data-testid="chats-notice">${this.notice}</p>` : nothing}
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
