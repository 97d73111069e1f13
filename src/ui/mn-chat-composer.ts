import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { uuidv7 } from '../shared/ids';
import { MESSAGE_ROLES, type Message, type MessageRole } from '../shared/models';
import { parseComposer, runCommand } from './chat/commands';
import { DEFAULT_SYSTEM_PROMPT, ENDPOINTS_KEY, loadApiKey, parseEndpoints, parsePreferences, pickEndpoint, PREFERENCES_KEY } from './chat/endpoints';
import { createChatClient } from './chat/openai';
import { INTERRUPTED, runTurn, streamLockName } from './chat/turn';
import { controls, errorText } from './styles';
import { MnView } from './view';

/** Picker value for "store the message, ask no model". */
const NO_MODEL = '';

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
 */
export class MnChatComposer extends MnView {
  static override properties = {
    ...MnView.properties,
    conversationId: { attribute: false },
    endpointId: { state: true },
    role: { state: true },
    busy: { state: true },
    notice: { state: true },
  };

  declare conversationId: string | null;
  /** The picked endpoint, or NO_MODEL; null until the saved preference is read. */
  declare endpointId: string | null;
  declare role: MessageRole;
  declare busy: boolean;
  declare notice: { text: string; error: boolean } | null;
  private controller: AbortController | null = null;

  constructor() {
    super();
    this.conversationId = null;
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
      user = await space.messages.add({ conversationId: this.conversationId, role: endpoint ? 'user' : this.role, content: input.text });
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
      return;
    }
    box.value = '';
    if (endpoint) await this.answer(user, []);
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

  private async answer(user: Message, exclude: string[]): Promise<void> {
    const { config, endpoint } = this.chosen;
    if (!config || !endpoint) {
      this.notice = { text: 'Pick a model endpoint to get an answer (add one in Settings).', error: true };
      return;
    }
    const apiKey = loadApiKey(localStorage, endpoint.id);
    const client = createChatClient({ baseUrl: endpoint.baseUrl, ...(apiKey ? { apiKey } : {}) });
    const assistantId = uuidv7();
    const controller = new AbortController();
    this.controller = controller;
    this.busy = true;
    // Only while a request runs: a beforeunload listener keeps Firefox from caching the page for Back.
    window.addEventListener('beforeunload', this.onPageHide);
    try {
      // The lock tells every tab that this answer has a live request (see isInterrupted).
      // Failures are shown on the answer itself, with Retry.
      await navigator.locks.request(streamLockName(assistantId), () =>
        runTurn({
          port: this.space!,
          client,
          model: endpoint.model,
          endpointName: endpoint.name,
          user,
          assistantId,
          systemPrompt: DEFAULT_SYSTEM_PROMPT,
          budgetTokens: config.preferences.recallBudgetTokens,
          exclude,
          signal: controller.signal,
        }),
      );
    } catch (error) {
      this.notice = { text: errorText(error), error: true };
    } finally {
      window.removeEventListener('beforeunload', this.onPageHide);
      this.busy = false;
      this.controller = null;
    }
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
      ${config && config.endpoints.length === 0 ? html`<p class="meta hint">To chat with a model, add an endpoint in <a href="#settings">Settings</a>.</p>` : nothing}
      ${this.notice
        ? html`<p class=${this.notice.error ? 'error hint' : 'hint'} role=${this.notice.error ? 'alert' : 'status'} data-testid="composer-notice">${this.notice.text}</p>`
        : nothing}
    </form>`;
  }
}

customElements.define('mn-chat-composer', MnChatComposer);

declare global {
  interface HTMLElementTagNameMap {
    'mn-chat-composer': MnChatComposer;
  }
}
