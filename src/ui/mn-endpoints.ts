import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { uuidv7 } from '../shared/ids';
import {
  cspAllows, cspBlockedMessage, endpointsFile, ENDPOINTS_KEY, loadApiKey, mergeEndpoints, parseEndpoints, parsePreferences, PREFERENCES_KEY, readEndpointsFile,
  saveApiKey, validateEndpoint, type EndpointConfig,
} from './chat/endpoints';
import { createChatClient, normalizeBaseUrl, type ChatError } from './chat/openai';
import { saveFile } from './download';
import { controls, errorText } from './styles';
import { MnView, renderTask } from './view';

/** The page's own Content-Security-Policy, read from its response headers (null when served without one). */
async function pagePolicy(): Promise<string | null> {
  try {
    const response = await fetch(location.href, { method: 'HEAD', cache: 'no-store' });
    return response.headers.get('content-security-policy');
  } catch {
    return null;
  }
}

type TestState =
  | { state: 'idle' }
  | { state: 'testing' }
  | { state: 'ok'; models: string[] }
  | { state: 'failed'; message: string; hint: string; detail?: string };

/**
 * Settings → model endpoints for the chat: name, base URL, model and an
 * optional API key. Endpoints are a database setting; keys stay in this
 * browser's localStorage only (never in the database, so never in its
 * exports or backups). "Export endpoints" writes a file of the endpoints,
 * with their keys only when "Include API keys" is ticked; "Import endpoints"
 * reads one back, in this or another browser.
 */
export class MnEndpoints extends MnView {
  static override properties = {
    ...MnView.properties,
    editing: { state: true },
    test: { state: true },
    notice: { state: true },
    includeKeys: { state: true },
  };

  /** The endpoint in the form: an existing id, or a new one. */
  declare editing: EndpointConfig | null;
  declare test: TestState;
  declare notice: string | null;
  /** "Include API keys" in the endpoints file; off until ticked, and off again after each export. */
  declare includeKeys: boolean;

  constructor() {
    super();
    this.editing = null;
    this.test = { state: 'idle' };
    this.notice = null;
    this.includeKeys = false;
  }

  static override styles = [
    controls,
    css`
      form {
        display: grid;
        gap: 0.6rem;
      }
      ul.endpoints li {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        justify-content: space-between;
        padding: 0.35rem 0;
        border-bottom: 1px solid var(--mn-border);
        overflow-wrap: anywhere;
      }
      ul.models {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem;
        max-height: 10rem;
        overflow-y: auto;
      }
      ul.models button {
        padding: 0.2rem 0.5rem;
      }
      .ok {
        color: var(--mn-ok);
      }
      h3 {
        font-size: 1rem;
        margin: 1rem 0 0.4rem;
      }
      .warning {
        border-left: 3px solid var(--mn-danger);
        padding-left: 0.5rem;
      }
    `,
  ];

  private readonly data = new Task(this, {
    task: async ([, client]) => {
      if (!client) return undefined;
      const [endpoints, preferences] = await Promise.all([client.settings.get(ENDPOINTS_KEY), client.settings.get(PREFERENCES_KEY)]);
      return { endpoints: parseEndpoints(endpoints), preferences: parsePreferences(preferences) };
    },
    args: () => [this.revision, this.client] as const,
  });

  private get form(): HTMLFormElement | null {
    return this.renderRoot.querySelector('form#endpoint-form');
  }

  private fields() {
    const data = new FormData(this.form!);
    const field = (name: string) => String(data.get(name) ?? '');
    return { name: field('name'), baseUrl: field('baseUrl'), model: field('model'), apiKey: field('apiKey') };
  }

  private edit(endpoint: EndpointConfig | null): void {
    this.editing = endpoint ?? { id: uuidv7(), name: '', baseUrl: '', model: '' };
    this.test = { state: 'idle' };
    this.notice = null;
  }

  private async save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const current = this.data.value;
    if (!this.editing || !current) return;
    const fields = this.fields();
    const checked = validateEndpoint({ id: this.editing.id, ...fields });
    if (!checked.ok) {
      this.notice = checked.reason;
      return;
    }
    const list = current.endpoints.some((e) => e.id === checked.endpoint.id)
      ? current.endpoints.map((e) => (e.id === checked.endpoint.id ? checked.endpoint : e))
      : [...current.endpoints, checked.endpoint];
    try {
      await this.client!.settings.set(ENDPOINTS_KEY, list.map((e) => ({ ...e })));
      saveApiKey(localStorage, checked.endpoint.id, fields.apiKey);
      this.notice = `Saved “${checked.endpoint.name}”.`;
      this.editing = null;
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  private async removeEndpoint(endpoint: EndpointConfig): Promise<void> {
    const current = this.data.value;
    if (!current || !confirm(`Remove the endpoint “${endpoint.name}” and its API key from this browser?`)) return;
    try {
      await this.client!.settings.set(ENDPOINTS_KEY, current.endpoints.filter((e) => e.id !== endpoint.id).map((e) => ({ ...e })));
      saveApiKey(localStorage, endpoint.id, '');
      if (this.editing?.id === endpoint.id) this.editing = null;
      this.notice = `Removed “${endpoint.name}”.`;
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  private async saveBudget(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const budget = Number(new FormData(event.target as HTMLFormElement).get('budget'));
    const preferences = this.data.value?.preferences;
    if (!preferences || !Number.isFinite(budget) || budget < 0) return;
    try {
      await this.client!.settings.set(PREFERENCES_KEY, { ...preferences, recallBudgetTokens: Math.floor(budget) });
      this.notice = 'Recall budget saved.';
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  /** The endpoints as a file; keys only when "Include API keys" is ticked. */
  private async exportFile(): Promise<void> {
    try {
      const endpoints = parseEndpoints(await this.client!.settings.get(ENDPOINTS_KEY));
      const withKeys = this.includeKeys;
      const file = endpointsFile(endpoints, { includeKeys: withKeys, store: localStorage, now: Date.now() });
      const keys = file.endpoints.filter((e) => e.apiKey !== undefined).length;
      saveFile(withKeys ? 'mnemo-endpoints-with-keys.json' : 'mnemo-endpoints.json', `${JSON.stringify(file, null, 2)}\n`, 'application/json');
      this.includeKeys = false;
      this.notice = withKeys
        ? `Exported ${endpoints.length} ${endpoints.length === 1 ? 'endpoint' : 'endpoints'} with ${keys} API ${keys === 1 ? 'key' : 'keys'} in plain text. Keep the file private.`
        : `Exported ${endpoints.length} ${endpoints.length === 1 ? 'endpoint' : 'endpoints'} without API keys.`;
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  /** An endpoints file: checked whole first; endpoints with the same id are replaced, keys in the file are kept in this browser. */
  private async importFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const picked = input.files?.[0];
    if (!picked) return;
    try {
      const read = readEndpointsFile(await picked.text());
      if (!read.ok) {
        this.notice = read.reason;
        return;
      }
      const current = parseEndpoints(await this.client!.settings.get(ENDPOINTS_KEY));
      const merged = mergeEndpoints(current, read.endpoints);
      // The keys first: the list shows "key saved" when the setting's change redraws it.
      for (const endpoint of read.endpoints) if (endpoint.apiKey !== undefined) saveApiKey(localStorage, endpoint.id, endpoint.apiKey);
      await this.client!.settings.set(ENDPOINTS_KEY, merged.map((e) => ({ ...e })));
      const keys = read.endpoints.filter((e) => e.apiKey !== undefined).length;
      this.notice = `Imported ${read.endpoints.length} ${read.endpoints.length === 1 ? 'endpoint' : 'endpoints'}${keys > 0 ? ` and ${keys} API ${keys === 1 ? 'key' : 'keys'} (kept in this browser only)` : ''}.`;
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      input.value = '';
    }
  }

  private renderTransfer() {
    return html`<section aria-labelledby="endpoints-file-h">
      <h3 id="endpoints-file-h">Endpoints file</h3>
      <p class="meta">Database exports and backups carry the endpoints but never their API keys. To take keys to another browser, export the endpoints with their keys and import the file there.</p>
      <label><input type="checkbox" name="includeKeys" .checked=${this.includeKeys} aria-describedby=${this.includeKeys ? 'keys-warning' : nothing}
        @change=${(e: Event) => (this.includeKeys = (e.target as HTMLInputElement).checked)} /> Include API keys</label>
      ${this.includeKeys
        ? html`<p id="keys-warning" class="warning" role="note">The file will hold the API keys in plain text: anyone who gets it can use them (and spend what they pay for). Keep it private and delete it once imported.</p>`
        : nothing}
      <div class="row">
        <button type="button" class="secondary" @click=${this.exportFile}>${this.includeKeys ? 'Export endpoints with keys' : 'Export endpoints'}</button>
        <label>Import endpoints <input type="file" name="endpointsFile" accept=".json,application/json" @change=${this.importFile} /></label>
      </div>
    </section>`;
  }

  /** Lists the server's models; says when the page's CSP, not the server, is what fails. */
  private async testConnection(): Promise<void> {
    const { baseUrl: raw, apiKey } = this.fields();
    const baseUrl = normalizeBaseUrl(raw);
    if (baseUrl === null) {
      this.test = { state: 'failed', message: 'The base URL must start with http:// or https://.', hint: 'For example http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1.' };
      return;
    }
    this.test = { state: 'testing' };
    const policy = await pagePolicy();
    if (!cspAllows(policy, baseUrl, location.href)) {
      this.test = { state: 'failed', message: 'Blocked by this app’s Content-Security-Policy.', hint: cspBlockedMessage(baseUrl) };
      return;
    }
    const blocked: string[] = [];
    const onViolation = (event: SecurityPolicyViolationEvent) => {
      if (event.effectiveDirective === 'connect-src') blocked.push(event.blockedURI);
    };
    document.addEventListener('securitypolicyviolation', onViolation);
    const key = apiKey.trim() || (this.editing ? loadApiKey(localStorage, this.editing.id) : undefined);
    const result = await createChatClient({ baseUrl, ...(key ? { apiKey: key } : {}), idleTimeoutMs: 15_000 }).listModels();
    document.removeEventListener('securitypolicyviolation', onViolation);
    if (result.ok) {
      this.test = { state: 'ok', models: result.models.map((m) => m.id) };
      return;
    }
    const error: ChatError = result.error;
    this.test = error.code === 'network' && blocked.length > 0
      ? { state: 'failed', message: 'Blocked by this app’s Content-Security-Policy.', hint: cspBlockedMessage(baseUrl) }
      : { state: 'failed', message: error.message, hint: error.hint, ...(error.detail === undefined ? {} : { detail: error.detail }) };
  }

  private useModel(id: string): void {
    const input = this.form?.elements.namedItem('model');
    if (input instanceof HTMLInputElement) {
      input.value = id;
      input.focus();
    }
  }

  private renderTest() {
    const test = this.test;
    switch (test.state) {
      case 'testing':
        return html`<p class="muted" role="status">Connecting…</p>`;
      case 'ok':
        return html`<div role="status">
          <p class="ok">Connected: ${test.models.length} ${test.models.length === 1 ? 'model' : 'models'}. Pick one:</p>
          <ul class="plain models" aria-label="Models on this server">
            ${test.models.slice(0, 200).map((id) => html`<li><button type="button" class="secondary" @click=${() => this.useModel(id)}>${id}</button></li>`)}
          </ul>
        </div>`;
      case 'failed':
        return html`<div class="error" role="alert" data-testid="endpoint-test-error">
          <p><strong>${test.message}</strong> ${test.hint}</p>
          ${test.detail ? html`<p class="meta">Server said: ${test.detail}</p>` : nothing}
        </div>`;
      default:
        return nothing;
    }
  }

  private renderForm(endpoint: EndpointConfig) {
    const hasKey = loadApiKey(localStorage, endpoint.id) !== undefined;
    return html`<form id="endpoint-form" aria-label="Endpoint" @submit=${this.save}>
      <label>Name <input name="name" .value=${endpoint.name} placeholder="Ollama on this computer" maxlength="100" /></label>
      <label>Base URL <input name="baseUrl" .value=${endpoint.baseUrl} placeholder="http://localhost:11434/v1" required inputmode="url" /></label>
      <label>Model <input name="model" .value=${endpoint.model} placeholder="llama3.2" required maxlength="200" /></label>
      <label>API key (optional)
        <input name="apiKey" type="password" autocomplete="off" placeholder=${hasKey ? 'Saved in this browser — leave empty to remove' : 'Not needed for local servers'} />
      </label>
      <p class="meta">The key is kept only in this browser (localStorage), never in the database, so it is not in exports or backups; “Export endpoints” with “Include API keys” ticked is the one way it leaves.</p>
      <div class="row">
        <button type="submit">Save endpoint</button>
        <button type="button" class="secondary" @click=${this.testConnection}>Test connection</button>
        <button type="button" class="secondary" @click=${() => (this.editing = null)}>Cancel</button>
      </div>
      ${this.renderTest()}
    </form>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="endpoints-h">
      <h2 id="endpoints-h">Chat models</h2>
      <p class="meta">Any OpenAI-compatible server: Ollama, LM Studio, llama.cpp, vLLM, OpenRouter, OpenAI. The page calls it directly; the server must allow this origin (CORS) and this app’s Content-Security-Policy must list it (MNEMO_CONNECT_SRC; local servers are allowed by default).</p>
      ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${renderTask(this.data, {
        complete: (data) => data === undefined ? nothing : html`
          ${data.endpoints.length === 0
            ? html`<p class="muted">No endpoint yet.</p>`
            : html`<ul class="plain endpoints" data-testid="endpoints">
                ${data.endpoints.map((e) => html`<li>
                  <span><strong>${e.name}</strong> <span class="meta">${e.model} · ${e.baseUrl}${loadApiKey(localStorage, e.id) ? ' · key saved' : ''}</span></span>
                  <span class="row">
                    <button type="button" class="secondary" aria-label="Edit ${e.name}" @click=${() => this.edit(e)}>Edit</button>
                    <button type="button" class="danger" aria-label="Remove ${e.name}" @click=${() => this.removeEndpoint(e)}>Remove</button>
                  </span>
                </li>`)}
              </ul>`}
          ${this.editing ? this.renderForm(this.editing) : html`<p><button type="button" @click=${() => this.edit(null)}>Add endpoint</button></p>`}
          <form class="row" aria-label="Recall budget" @submit=${this.saveBudget}>
            <label>Recall budget (tokens for the system prompt with memories)
              <input name="budget" type="number" min="0" max="100000" step="100" class="narrow" .value=${String(data.preferences.recallBudgetTokens)} />
            </label>
            <button type="submit" class="secondary">Save budget</button>
          </form>
          ${this.renderTransfer()}`,
      })}
    </section>`;
  }
}

customElements.define('mn-endpoints', MnEndpoints);

declare global {
  interface HTMLElementTagNameMap {
    'mn-endpoints': MnEndpoints;
  }
}
