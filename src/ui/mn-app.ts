import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import type { MnemoClient } from '../client';
import type { DatabaseInfo, SearchMode } from '../shared/api';
import { EXECUTION_STATUSES, type ExecutionStatus, type Scope } from '../shared/models';
import { mnemoContext, scopeContext } from './context';
import { controls } from './styles';
import './mn-chats';
import './mn-data';
import './mn-documents';
import './mn-import';
import './mn-memories';
import './mn-search';
import './mn-settings';
import './mn-pwa-status';
import './mn-lock-screen';
import './mn-spaces';
import './mn-agents';
import './mn-executions';
import './mn-vectors';
import { filterValue, isTyping, navigate, pageValue, parseRoute, VIEWS, type Route } from './route';

const SCOPE_KEY = 'mnemo.scope';
const SEARCH_MODES: readonly SearchMode[] = ['keyword', 'vector', 'hybrid'];

function savedScope(): Scope {
  try {
    const parsed = JSON.parse(localStorage.getItem(SCOPE_KEY) ?? 'null') as Scope | null;
    if (parsed && typeof parsed.userId === 'string' && typeof parsed.spaceId === 'string' && parsed.userId && parsed.spaceId) return parsed;
  } catch {
    // A damaged saved value falls back to the default scope.
  }
  return { userId: 'local', spaceId: 'default' };
}

/** The application shell: navigation, scope switcher, storage status. */
export class MnApp extends LitElement {
  static override properties = {
    client: { attribute: false },
    route: { state: true },
    info: { state: true },
    failure: { state: true },
    scope: { state: true },
    ownership: { state: true },
  };

  declare client: MnemoClient | undefined;
  declare route: Route;
  declare info: DatabaseInfo | undefined;
  declare failure: string | undefined;
  declare scope: Scope;
  declare ownership: { isOwner: boolean; ownerId: string; tabId: string } | undefined;
  private readonly clientProvider = new ContextProvider(this, { context: mnemoContext });
  private readonly scopeProvider = new ContextProvider(this, { context: scopeContext });

  constructor() {
    super();
    this.route = parseRoute(location.hash);
    this.scope = savedScope();
    this.scopeProvider.setValue(this.scope);
    // Unlocked, locked, enabled or removed: the info says which, and locked shows the lock screen.
    this.addEventListener('mn-encryption-changed', () => this.refreshInfo());
    this.addEventListener('mn-switch-scope', (event) => this.useScope((event as CustomEvent<Scope>).detail));
    window.addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
    window.addEventListener('keydown', (event) => this.shortcut(event));
  }

  /** The current view (the route's first part). */
  get view(): Route['view'] {
    return this.route.view;
  }

  /** `/` focuses search; `n` starts a new message (or a new conversation when none is open). */
  private shortcut(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || isTyping(event.composedPath())) return;
    if (event.key !== '/' && event.key !== 'n') return;
    event.preventDefault();
    // On Search already, `/` keeps the search shown (its route) and only focuses the field.
    if (event.key === '/') {
      if (this.route.view !== 'search') navigate('search');
    }
    else if (this.route.view !== 'chats') navigate('chats');
    void this.focusAfterRender(event.key === '/' ? 'search' : 'compose');
  }

  private async focusAfterRender(what: 'search' | 'compose'): Promise<void> {
    this.route = parseRoute(location.hash);
    await this.updateComplete;
    const view = this.renderRoot.querySelector(what === 'search' ? 'mn-search' : 'mn-chats');
    if (!view) return;
    await view.updateComplete;
    view.focusStart();
  }

  static override styles = [
    controls,
    css`
      :host {
        display: grid;
        grid-template-rows: auto auto 1fr;
        min-height: 100vh;
      }
      header {
        display: flex;
        align-items: center;
        gap: 1rem;
        padding: 0.6rem 1rem;
        background: var(--mn-surface);
        border-bottom: 1px solid var(--mn-border);
        flex-wrap: wrap;
      }
      h1 {
        font-size: 1.2rem;
        margin: 0;
        letter-spacing: 0.02em;
      }
      nav {
        display: flex;
        gap: 0.25rem;
        flex-wrap: wrap;
      }
      nav a {
        padding: 0.4rem 0.75rem;
        border-radius: 8px;
        color: var(--mn-text);
        text-decoration: none;
      }
      nav a[aria-current='page'] {
        background: var(--mn-accent);
        color: var(--mn-accent-text);
      }
      .status {
        margin-left: auto;
        font-size: 0.8rem;
      }
      .banner {
        background: var(--mn-warn-bg);
        color: var(--mn-warn-text);
        padding: 0.5rem 1rem;
      }
      main {
        padding: 1rem;
        min-width: 0;
      }
      form.scope input {
        width: 7rem;
      }
    `,
  ];

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('client') && this.client) {
      this.clientProvider.setValue(this.client);
      const client = this.client;
      const show = (o: { isOwner: boolean; ownerId: string; tabId: string }) => (this.ownership = o);
      client.ownership().then(show, () => {});
      void client.onOwnership(show).catch(() => {});
      this.refreshInfo();
      // Another tab may lock or unlock the database.
      void client.onChange((change) => {
        if (change.table === '*') this.refreshInfo();
      }).catch(() => {});
    }
  }

  private refreshInfo(): void {
    this.client?.info().then(
      (info) => (this.info = info),
      (error: unknown) => (this.failure = String((error as { message?: string }).message ?? error)),
    );
  }

  private switchScope(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const userId = String(data.get('userId') ?? '').trim();
    const spaceId = String(data.get('spaceId') ?? '').trim();
    if (!userId || !spaceId) return;
    this.useScope({ userId, spaceId });
  }

  private useScope(scope: Scope): void {
    this.scope = { userId: scope.userId, spaceId: scope.spaceId };
    localStorage.setItem(SCOPE_KEY, JSON.stringify(this.scope));
    this.scopeProvider.setValue(this.scope);
  }

  private renderView() {
    if (this.failure) return html`<p class="card error" role="alert">Mnemo could not open its database: ${this.failure}</p>`;
    if (!this.client) return html`<p class="muted" aria-live="polite">Opening the database…</p>`;
    if (!this.info) return html`<p class="muted" aria-live="polite">Opening the database…</p>`;
    if (this.info.encryption?.locked) return html`<mn-lock-screen .client=${this.client}></mn-lock-screen>`;
    const ids = this.route.ids;
    switch (this.route.view) {
      case 'spaces':
        return html`<mn-spaces></mn-spaces>`;
      case 'agents':
        return html`<mn-agents .selectedId=${ids[0] ?? null}></mn-agents>`;
      case 'executions': {
        const status = filterValue(ids[0]);
        return html`<mn-executions
          .status=${(EXECUTION_STATUSES as readonly string[]).includes(status) ? (status as ExecutionStatus) : ''}
          .agentId=${filterValue(ids[1])}
          .sessionId=${filterValue(ids[2])}
        ></mn-executions>`;
      }
      case 'vectors':
        return html`<mn-vectors .collection=${ids[0] ?? null} .selectedId=${ids[1] ?? null}></mn-vectors>`;
      case 'memories':
        return html`<mn-memories .kind=${ids[0] === 'short' ? 'short' : 'long'} .page=${pageValue(ids[1])}></mn-memories>`;
      case 'documents':
        return html`<mn-documents .sessionId=${ids[0] ?? null} .documentId=${ids[1] ?? null}></mn-documents>`;
      case 'data':
        return html`<mn-data></mn-data>`;
      case 'search':
        return html`<mn-search .routeMode=${SEARCH_MODES.includes(ids[0] as SearchMode) ? (ids[0] as SearchMode) : null} .query=${ids[1] ?? null}></mn-search>`;
      case 'import':
        return html`<mn-import></mn-import>`;
      case 'settings':
        return html`<mn-settings></mn-settings>`;
      default:
        // `#chats/<sessionId>/<conversationId>/<messageId>`: a message shown in context (a search hit).
        return html`<mn-chats
          .target=${ids[2] ? { sessionId: ids[0], conversationId: ids[1], messageId: ids[2] } : undefined}
          .sessionId=${ids[0] ?? null} .conversationId=${ids[1] ?? null}></mn-chats>`;
    }
  }

  override render() {
    const info = this.info;
    return html`
      <header>
        <h1>Mnemo</h1>
        <nav aria-label="Views">
          ${VIEWS.map(
            (v) => html`<a href="#${v.id}" aria-current=${v.id === this.route.view ? 'page' : nothing}>${v.label}</a>`,
          )}
        </nav>
        <form class="scope row" @submit=${this.switchScope} aria-label="Scope">
          <label>User <input name="userId" .value=${this.scope.userId} required maxlength="256" /></label>
          <label>Space <input name="spaceId" .value=${this.scope.spaceId} required maxlength="256" /></label>
          <button class="secondary" type="submit">Switch</button>
        </form>
        <span class="status muted" data-testid="storage-status">
          ${info ? html`${info.storage === 'opfs' ? 'Saved on this device' : 'In memory'} · ${info.vfs}` : nothing}
          ${this.ownership ? html` · <span data-testid="ownership">${this.ownership.isOwner ? 'this tab holds the database' : 'connected through another tab'}</span>` : nothing}
        </span>
        <mn-pwa-status></mn-pwa-status>
      </header>
      ${info?.warning ? html`<div class="banner" role="alert">${info.warning}</div>` : nothing}
      <main>${this.renderView()}</main>
    `;
  }
}

customElements.define('mn-app', MnApp);

declare global {
  interface HTMLElementTagNameMap {
    'mn-app': MnApp;
  }
}
