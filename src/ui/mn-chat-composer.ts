import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { uuidv7 } from '../shared/ids';
import type { ScopedClient } from '../client';
import { MESSAGE_ROLES, type Agent, type Message, type MessageRole } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { parseComposer, runCommand } from './chat/commands';
import {
  DEFAULT_SYSTEM_PROMPT,
  ENDPOINTS_KEY,
  loadApiKey,
  parseEndpoints,
  parsePreferences,
  pickEndpoint,
  PREFERENCES_KEY,
  type EndpointConfig,
} from './chat/endpoints';
import { extractMemories, toMemoryInputs } from './chat/extraction';
import { createChatClient, type ChatClient } from './chat/openai';
import { branchOff } from './chat/branch';
import { readMemory, withConversationMemory, type MemoryDecision } from './chat/memory';
import { applyExtracted, undoApplied, type AppliedMemory } from './chat/remember';
import { INTERRUPTED, runTurn, streamLockName, type TurnResult } from './chat/turn';
import { controls, errorText } from './styles';
import { MnView } from './view';

/** Picker value for "store the message, ask no model". */
const NO_MODEL = '';
/** Space setting holding the id of the agent that records runs of sessions without an agent. */
export const CHAT_AGENT_KEY = 'chat.agentId';

/** The agent a run belongs to: the session's, else the space's built-in "Chat" agent (made on first use). */
async function agentFor(space: ScopedClient, sessionId: string | null): Promise<Agent> {
  const session = sessionId ? await space.sessions.get(sessionId) : null;
  if (session?.agentId) return space.agents.get(session.agentId);
  const saved = await space.settings.get(CHAT_AGENT_KEY);
  if (typeof saved === 'string') {
    const agent = await space.agents.get(saved).catch(() => null);
    if (agent) return agent;
  }
  const agent = await space.agents.create({ name: 'Chat', description: 'Records model runs of sessions without an agent of their own.', isActive: true });
  await space.settings.set(CHAT_AGENT_KEY, agent.id);
  return agent;
}

type Extracted = { items: Array<AppliedMemory & { undone?: boolean }>; error?: string } | { items: []; error: string };

export interface ResendRequest {
  userMessageId: string;
  /** Recall keys to leave out. */
  exclude: string[];
  /** A failed answer without text that the new answer replaces. */
  replaces?: string;
}

/**
 * The composer of a conversation: Enter sends, Shift+Enter starts a new line.
 * With a model endpoint picked, a message is stored and answered (recall,
 * streamed answer, Stop); `/remember` and `/forget` run without the model;
 * with "No model" the message is only stored, with the chosen role.
 * The memory switch of the conversation (over the space's default, set in
 * Spaces) decides before each answer whether anything is recalled or learned.
 */
export class MnChatComposer extends MnView {
  static override properties = {
    ...MnView.properties,
    conversationId: { attribute: false },
    sessionId: { attribute: false },
    extracted: { state: true },
    extracting: { state: true },
    editing: { state: true },
    endpointId: { state: true },
    role: { state: true },
    busy: { state: true },
    notice: { state: true },
  };

  declare conversationId: string | null;
  declare sessionId: string | null;
  /** What the last exchange taught (memory extraction), with undo. */
  declare extracted: Extracted | null;
  declare extracting: boolean;
  /** The user message being edited: sending keeps the conversation so far in a branch and resends the new text. */
  declare editing: Message | null;
  /** The picked endpoint, or NO_MODEL; null until the saved preference is read. */
  declare endpointId: string | null;
  declare role: MessageRole;
  declare busy: boolean;
  declare notice: { text: string; error: boolean } | null;
  private controller: AbortController | null = null;

  constructor() {
    super();
    this.conversationId = null;
    this.sessionId = null;
    this.extracted = null;
    this.extracting = false;
    this.editing = null;
    this.endpointId = null;
    this.role = 'user';
    this.busy = false;
    this.notice = null;
  }

  static override styles = [
    controls,
    css`
      form {
        display: grid;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        min-height: 4.5rem;
        resize: vertical;
      }
      .bar {
        justify-content: space-between;
      }
      select {
        max-width: 100%;
      }
      .hint {
        margin: 0;
      }
      .extracted ul {
        margin: 0.25rem 0 0;
        padding-left: 1.2rem;
      }
      .extracted li {
        margin: 0.2rem 0;
      }
      .tag {
        font-weight: 600;
      }
      .memory {
        display: grid;
        gap: 0.2rem;
      }
      .memory .meta {
        margin: 0;
      }
      .memory button {
        justify-self: start;
        padding: 0.2rem 0.6rem;
      }
    `,
  ];

  private readonly config = new Task(this, {
    task: async ([, client]) => {
      if (!client) return undefined;
      const [endpoints, preferences] = await Promise.all([client.settings.get(ENDPOINTS_KEY), client.settings.get(PREFERENCES_KEY)]);
      return { endpoints: parseEndpoints(endpoints), preferences: parsePreferences(preferences) };
    },
    args: () => [this.revision, this.client] as const,
  });

  /** The memory switch of this conversation and the space's default. */
  private readonly memory = new Task(this, {
    task: async ([, conversationId]) => (conversationId && this.space ? { conversationId, ...(await readMemory(this.space, conversationId)) } : undefined),
    args: () => [this.revision, this.conversationId, this.scope && scopeKey(this.scope)] as const,
  });

  /** Sets the conversation's own switch, or (null) lets it follow the space again. */
  private async setMemory(on: boolean | null): Promise<void> {
    const id = this.conversationId;
    if (!id) return;
    const space = this.space!;
    try {
      const conversation = await space.conversations.get(id);
      await space.conversations.update(id, { metadata: withConversationMemory(conversation.metadata, on) });
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
    }
  }

  private get chosen() {
    const config = this.config.value;
    if (!config) return { config: undefined, endpoint: undefined };
    const id = this.endpointId ?? config.preferences.endpointId;
    return { config, endpoint: id === NO_MODEL ? undefined : pickEndpoint(config.endpoints, id) };
  }

  private async pick(event: Event): Promise<void> {
    this.endpointId = (event.target as HTMLSelectElement).value;
    const preferences = this.config.value?.preferences;
    if (preferences) await this.client!.settings.set(PREFERENCES_KEY, { ...preferences, endpointId: this.endpointId }).catch(() => undefined);
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      (event.target as HTMLTextAreaElement).form?.requestSubmit();
    }
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const box = (event.target as HTMLFormElement).elements.namedItem('content') as HTMLTextAreaElement;
    const text = box.value;
    if (!this.conversationId || text.trim() === '' || this.busy) return;
    const space = this.space!;
    const input = parseComposer(text);
    this.notice = null;
    if (input.kind === 'invalid') {
      this.notice = { text: input.reason, error: true };
      return;
    }
    if (input.kind !== 'message') {
      const result = await runCommand(space, input);
      this.notice = { text: result.message, error: !result.ok };
      if (result.ok) box.value = '';
      return;
    }
    const { endpoint } = this.chosen;
    let user: Message;
    try {
      if (this.editing) {
        const { branch } = await branchOff(space, this.conversationId, this.editing.id, 'from');
        this.notice = { text: `The earlier version is kept in “${branch.title ?? ''}”.`, error: false };
        this.editing = null;
      }
      user = await space.messages.add({ conversationId: this.conversationId, role: endpoint ? 'user' : this.role, content: input.text });
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
      return;
    }
    box.value = '';
    if (endpoint) await this.answer(user, []);
  }

  /** Regenerate: the conversation so far goes to a branch, the answers after the user message are removed, and it is asked again. */
  async regenerate(answer: Message): Promise<void> {
    const replyTo = answer.metadata['replyTo'];
    if (this.busy || typeof replyTo !== 'string') return;
    const space = this.space!;
    try {
      const { branch } = await branchOff(space, answer.conversationId, replyTo, 'after');
      this.notice = { text: `The earlier answer is kept in “${branch.title ?? ''}”.`, error: false };
      await this.answer(await space.messages.get(replyTo), []);
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
    }
  }

  /** Edit: the message's text goes into the composer; sending creates the branch. */
  startEdit(message: Message): void {
    this.editing = message;
    const box = this.renderRoot.querySelector<HTMLTextAreaElement>('#composer');
    if (box) {
      box.value = message.content;
      box.focus();
    }
  }

  /** Asks again for a stored user message (Retry, Resend without excluded). */
  async resend(request: ResendRequest): Promise<void> {
    if (this.busy) return;
    const space = this.space!;
    try {
      const user = await space.messages.get(request.userMessageId);
      if (request.replaces) await space.messages.delete(request.replaces);
      await this.answer(user, request.exclude);
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
    }
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('conversationId')) {
      this.editing = null;
      this.extracted = null;
    }
  }

  /** The `n` shortcut. */
  focusStart(): void {
    this.renderRoot.querySelector<HTMLTextAreaElement>('#composer')?.focus();
  }

  private async answer(user: Message, exclude: string[]): Promise<void> {
    const { config } = this.chosen;
    const space = this.space!;
    if (!config) return;
    this.busy = true;
    this.extracted = null;
    let agent: Agent;
    let memory: MemoryDecision;
    try {
      // Read now, not from the last render: a switch flipped in another tab counts at once.
      [agent, { decision: memory }] = await Promise.all([agentFor(space, this.sessionId), readMemory(space, user.conversationId)]);
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
      this.busy = false;
      return;
    }
    if (!agent.isActive) {
      this.notice = { text: `The agent “${agent.name}” is inactive: activate it in Agents, or unbind it in the session details.`, error: true };
      this.busy = false;
      return;
    }
    const endpoint = config.endpoints.find((e) => e.id === agent.model) ?? this.chosen.endpoint;
    if (!endpoint) {
      this.notice = { text: 'Pick a model endpoint to get an answer (add one in Settings).', error: true };
      this.busy = false;
      return;
    }
    const apiKey = loadApiKey(localStorage, endpoint.id);
    const client = createChatClient({ baseUrl: endpoint.baseUrl, ...(apiKey ? { apiKey } : {}) });
    const assistantId = uuidv7();
    const controller = new AbortController();
    this.controller = controller;
    let executionId: string | null = null;
    let result: TurnResult | null = null;
    // Only while a request runs: a beforeunload listener keeps Firefox from caching the page for Back.
    window.addEventListener('beforeunload', this.onPageHide);
    try {
      // Every model run is an agent execution: queued, running, then finished.
      const execution = await space.executions.start(agent.id, this.sessionId, {
        queued: true,
        metadata: { conversationId: user.conversationId, messageId: assistantId, endpoint: endpoint.name, model: endpoint.model },
      });
      executionId = execution.id;
      await space.executions.run(execution.id);
      // The lock tells every tab that this answer has a live request (see isInterrupted).
      // Failures are shown on the answer itself, with Retry.
      result = await navigator.locks.request(streamLockName(assistantId), () =>
        runTurn({
          port: space,
          client,
          model: endpoint.model,
          endpointName: endpoint.name,
          user,
          assistantId,
          systemPrompt: agent.systemPrompt?.trim() || DEFAULT_SYSTEM_PROMPT,
          budgetTokens: config.preferences.recallBudgetTokens,
          exclude,
          memory,
          signal: controller.signal,
        }),
      );
      await space.executions.finish(execution.id, result.ok ? 'succeeded' : result.error ? 'failed' : 'cancelled', result.error?.message ?? null);
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
      if (executionId) await space.executions.finish(executionId, 'failed', errorText(error)).catch(() => undefined);
    } finally {
      window.removeEventListener('beforeunload', this.onPageHide);
      this.busy = false;
      this.controller = null;
    }
    // Memory off: nothing is learned either.
    if (result?.ok && config.preferences.extractMemories && memory.on) await this.extract(client, endpoint, user, result.message);
  }

  /** Memory extraction after an exchange: the facts go through the dedup path and are listed with undo. */
  private async extract(client: ChatClient, endpoint: EndpointConfig, user: Message, answer: Message): Promise<void> {
    const space = this.space!;
    this.extracting = true;
    try {
      const [recent, known] = await Promise.all([
        space.messages.recent(user.conversationId, { limit: 12 }),
        space.memories.list({ kind: 'long', orderBy: 'importance', pageSize: 50 }),
      ]);
      const turns = recent.items.filter((m) => !m.isStreaming && m.error === null).reverse();
      const result = await extractMemories(client, { model: endpoint.model, turns, known: known.items.map((m) => m.content) });
      if (!result.ok) {
        this.extracted = { items: [], error: `No memories taken from this exchange: ${result.reason}` };
        return;
      }
      const items = await applyExtracted(space, toMemoryInputs(result.memories, { now: Date.now(), sourceMessageId: answer.id }));
      this.extracted = { items };
    } catch (error) {
      this.extracted = { items: [], error: `No memories taken from this exchange: ${errorText(error)}` };
    } finally {
      this.extracting = false;
    }
  }

  private async undo(item: AppliedMemory & { undone?: boolean }): Promise<void> {
    try {
      await undoApplied(this.space!, item);
      item.undone = true;
      this.extracted = { ...this.extracted!, items: [...this.extracted!.items] };
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
    }
  }

  private async toggleExtraction(event: Event): Promise<void> {
    const preferences = this.config.value?.preferences;
    if (!preferences) return;
    const on = (event.target as HTMLInputElement).checked;
    await this.client!.settings.set(PREFERENCES_KEY, { ...preferences, extractMemories: on }).catch((error: unknown) => {
      this.notice = { text: errorText(error), error: true };
    });
  }

  private renderExtracted() {
    const label = { added: 'Added', updated: 'Updated', ignored: 'Already known' } as const;
    const extracted = this.extracted;
    return html`<div class="extracted" aria-live="polite" data-testid="extracted">
      ${this.extracting ? html`<p class="meta hint">Looking for facts to remember…</p>` : nothing}
      ${extracted?.error ? html`<p class="meta hint">${extracted.error}</p>` : nothing}
      ${extracted && !extracted.error
        ? html`<p class="meta hint">
              ${extracted.items.length === 0 ? 'Nothing new to remember from this exchange.' : `Memory from this exchange (${extracted.items.length}):`}
            </p>
            ${extracted.items.length === 0
              ? nothing
              : html`<ul aria-label="Memories from this exchange">
                  ${extracted.items.map(
                    (item) => html`<li data-action=${item.action}>
                      <span class="tag">${item.undone ? 'Undone' : label[item.action]}:</span> ${item.content}
                      ${!item.undone && (item.action === 'added' || (item.action === 'updated' && item.previous))
                        ? html`<button type="button" class="secondary" aria-label="Undo: ${item.content}" @click=${() => this.undo(item)}>Undo</button>`
                        : nothing}
                    </li>`,
                  )}
                </ul>`}`
        : nothing}
    </div>`;
  }

  /** The conversation's memory switch; it overrides the space's default, and says so. */
  private renderMemory() {
    const state = this.memory.value;
    // Not the previous conversation's switch while this one's loads.
    if (!state || state.conversationId !== this.conversationId) return nothing;
    const { decision, space } = state;
    const spaceDefault = html`the space’s default (${space ? 'on' : 'off'}, set in <a href="#spaces">Spaces</a>)`;
    return html`<div class="memory" data-testid="memory-switch">
      <label><input type="checkbox" role="switch" name="memory" .checked=${decision.on} aria-describedby="memory-hint"
        @change=${(e: Event) => this.setMemory((e.target as HTMLInputElement).checked)} /> Memory in this conversation</label>
      <p id="memory-hint" class="meta">
        ${decision.by === 'conversation' ? html`This switch overrides ${spaceDefault}.` : html`Follows ${spaceDefault}; switching it here overrides that for this conversation only.`}
        ${decision.on
          ? 'Each answer recalls memories, documents and earlier conversations.'
          : 'Nothing is recalled or learned; /remember and /forget still work, because you ask for them.'}
      </p>
      ${decision.by === 'conversation' ? html`<button type="button" class="secondary" @click=${() => this.setMemory(null)}>Use the space’s default</button>` : nothing}
    </div>`;
  }

  private stop(): void {
    this.controller?.abort();
  }

  /**
   * A reload or a closed tab ends the request; the answer so far is kept as
   * interrupted. Firefox cancels the page's fetches when the navigation starts,
   * before `pagehide`, so the stream would first fail as a dropped connection:
   * `beforeunload` (registered while a request runs) comes before that.
   */
  private readonly onPageHide = () => this.controller?.abort(INTERRUPTED);

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pagehide', this.onPageHide);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pagehide', this.onPageHide);
    this.controller?.abort();
  }

  override render() {
    const { config, endpoint } = this.chosen;
    const selected = endpoint?.id ?? NO_MODEL;
    const memoryOff = this.memory.value?.conversationId === this.conversationId && this.memory.value?.decision.on === false;
    return html`<form aria-label="New message" @submit=${this.submit}>
      <label class="sr-only" for="composer">Message</label>
      <textarea
        id="composer"
        name="content"
        placeholder=${endpoint ? `Message ${endpoint.name} (Enter sends, Shift+Enter new line; /remember, /forget)` : 'Write a message (Markdown; Enter sends, Shift+Enter new line)'}
        aria-describedby="composer-hint"
        @keydown=${this.onKeydown}
      ></textarea>
      <p id="composer-hint" class="sr-only">Enter sends, Shift+Enter starts a new line. /remember followed by a fact stores a memory; /forget followed by words deletes matching memories.</p>
      <div class="row bar">
        <span class="row">
          <label>Model
            <select name="endpoint" aria-label="Model" @change=${this.pick} ?disabled=${this.busy}>
              ${(config?.endpoints ?? []).map((e) => html`<option value=${e.id} ?selected=${e.id === selected}>${e.name} · ${e.model}</option>`)}
              <option value=${NO_MODEL} ?selected=${selected === NO_MODEL}>No model (only save)</option>
            </select>
          </label>
          ${endpoint
            ? nothing
            : html`<label>Role
                <select name="role" aria-label="Role" @change=${(e: Event) => (this.role = (e.target as HTMLSelectElement).value as MessageRole)}>
                  ${MESSAGE_ROLES.map((r) => html`<option value=${r} ?selected=${r === this.role}>${r}</option>`)}
                </select>
              </label>`}
        </span>
        <span class="row">
          ${this.busy ? html`<button type="button" class="danger" @click=${this.stop}>Stop</button>` : nothing}
          <button type="submit" ?disabled=${this.busy}>Send</button>
        </span>
      </div>
      ${this.renderMemory()}
      ${endpoint
        ? html`<label class="meta"><input type="checkbox" name="extract" .checked=${config?.preferences.extractMemories ?? false} ?disabled=${memoryOff} @change=${this.toggleExtraction} /> ${memoryOff ? 'Learn memories from each answer (not while memory is off)' : 'Learn memories from each answer (asks the model once more)'}</label>`
        : nothing}
      ${this.editing
        ? html`<p class="row hint" role="status" data-testid="editing">
            Editing a message: sending keeps the conversation so far in a branch and sends the new text.
            <button type="button" class="secondary" @click=${() => (this.editing = null)}>Cancel edit</button>
          </p>`
        : nothing}
      ${config && config.endpoints.length === 0 ? html`<p class="meta hint">To chat with a model, add an endpoint in <a href="#settings">Settings</a>.</p>` : nothing}
      ${this.notice
        ? html`<p class=${this.notice.error ? 'error hint' : 'hint'} role=${this.notice.error ? 'alert' : 'status'} data-testid="composer-notice">${this.notice.text}</p>`
        : nothing}
      ${this.renderExtracted()}
    </form>`;
  }
}

customElements.define('mn-chat-composer', MnChatComposer);

declare global {
  interface HTMLElementTagNameMap {
    'mn-chat-composer': MnChatComposer;
  }
}
