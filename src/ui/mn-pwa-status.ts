import { ContextConsumer } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import type { MnemoClient } from '../client';
import { mnemoContext } from './context';
import { applyUpdate, onPwaChange, pwaState, QUOTA_WARNING_RATIO, requestPersistence, storageStatus, type PwaState, type StorageStatus } from './pwa';
import { controls } from './styles';
import { formatBytes } from './view';

const ESTIMATE_DEBOUNCE_MS = 1000;

/**
 * Compact status for the app header: online/offline, whether storage is
 * persistent (with a button to ask), quota use with a warning above 80 %, and
 * the "new version" prompt. After the first committed write it asks for
 * persistent storage once, if the browser has not granted it yet.
 */
export class MnPwaStatus extends LitElement {
  static override properties = {
    online: { state: true },
    storage: { state: true },
    pwa: { state: true },
  };

  declare online: boolean;
  declare storage: StorageStatus | undefined;
  declare pwa: PwaState;

  private askedAfterWrite = false;
  private estimateTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeChanges: (() => Promise<void>) | undefined;
  private unsubscribePwa: (() => void) | undefined;
  private readonly clientContext = new ContextConsumer(this, {
    context: mnemoContext,
    subscribe: true,
    callback: (client) => void this.watch(client),
  });

  constructor() {
    super();
    this.online = navigator.onLine;
    this.pwa = pwaState();
  }

  static override styles = [
    controls,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 0.4rem 0.75rem;
        flex-wrap: wrap;
        font-size: 0.8rem;
      }
      .item {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
        white-space: nowrap;
      }
      .dot {
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--mn-ok);
      }
      .offline .dot {
        background: var(--mn-muted);
      }
      button {
        font-size: 0.8rem;
        padding: 0.2rem 0.55rem;
      }
      .warn {
        background: var(--mn-warn-bg);
        color: var(--mn-warn-text);
        border-radius: 6px;
        padding: 0.15rem 0.45rem;
      }
      .update {
        background: var(--mn-surface-2);
        border: 1px solid var(--mn-border);
        border-radius: 8px;
        padding: 0.15rem 0.2rem 0.15rem 0.5rem;
      }
    `,
  ];

  private readonly onOnline = () => {
    this.online = navigator.onLine;
  };

  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') void this.refresh();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.unsubscribePwa = onPwaChange((next) => {
      this.pwa = next;
    });
    this.pwa = pwaState();
    this.online = navigator.onLine;
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.unsubscribePwa?.();
    this.unsubscribePwa = undefined;
    void this.unsubscribeChanges?.();
    this.unsubscribeChanges = undefined;
    clearTimeout(this.estimateTimer);
  }

  /** Follows committed writes of the client from context (re-sent on every connect). */
  private async watch(client: MnemoClient | undefined): Promise<void> {
    const previous = this.unsubscribeChanges;
    this.unsubscribeChanges = undefined;
    await previous?.();
    if (!client || !this.isConnected) return;
    const unsubscribe = await client.onChange(() => this.afterWrite());
    if (this.unsubscribeChanges || !this.isConnected) await unsubscribe();
    else this.unsubscribeChanges = unsubscribe;
  }

  private afterWrite(): void {
    clearTimeout(this.estimateTimer);
    this.estimateTimer = setTimeout(() => void this.refresh(), ESTIMATE_DEBOUNCE_MS);
    if (!this.askedAfterWrite && this.storage?.persisted === false) {
      this.askedAfterWrite = true;
      void this.persist();
    }
  }

  private async refresh(): Promise<void> {
    this.storage = await storageStatus();
  }

  /**
   * "Keep data" stays enabled while a request is pending: Firefox answers only
   * when the user answers its prompt, which may never happen (the promise then
   * stays pending); a click asks again, which shows the prompt again.
   */
  private async persist(): Promise<void> {
    await requestPersistence();
    await this.refresh();
  }

  private renderStorage() {
    const s = this.storage;
    if (!s) return nothing;
    const persistence =
      s.persisted === null
        ? nothing
        : s.persisted
          ? html`<span class="item" data-testid="persistence" data-persisted="true" title="The browser will not evict this data under storage pressure">Storage persistent</span>`
          : html`<span class="item" data-testid="persistence" data-persisted="false">
              <span title="The browser may evict this data when the disk runs low">Storage not persistent</span>
              <button class="secondary" type="button" @click=${() => this.persist()}>Keep data</button>
            </span>`;
    let quota: unknown = nothing;
    if (s.usage !== null && s.quota) {
      const ratio = s.usage / s.quota;
      const text = `${formatBytes(s.usage)} of ${formatBytes(s.quota)}`;
      quota =
        ratio > QUOTA_WARNING_RATIO
          ? html`<span class="item warn" role="alert" data-testid="quota" data-warning="true">Storage almost full: ${text} (${Math.round(ratio * 100)} %)</span>`
          : html`<span class="item muted" data-testid="quota" title="Used by Mnemo on this device (database, cached app and models)">${text} used</span>`;
    }
    return html`${persistence}${quota}`;
  }

  private renderUpdate() {
    const p = this.pwa;
    if (!p.needRefresh) return nothing;
    return html`<span class="item update" role="status" data-testid="update">
      ${p.updating ? 'Updating after the current write…' : 'A new version is ready'}
      <button type="button" ?disabled=${p.updating} @click=${() => applyUpdate()}>Reload</button>
    </span>`;
  }

  override render() {
    const offlineText = this.pwa.offlineReady ? 'Offline · saved copy of the app' : 'Offline';
    return html`
      <span
        class="item ${this.online ? 'online' : 'offline'}"
        data-testid="network"
        data-online=${this.online}
        title=${this.pwa.offlineReady ? 'The app is cached and works without a network' : nothing}
        ><span class="dot" aria-hidden="true"></span>${this.online ? 'Online' : offlineText}</span
      >
      ${this.renderStorage()} ${this.renderUpdate()}
    `;
  }
}

customElements.define('mn-pwa-status', MnPwaStatus);

declare global {
  interface HTMLElementTagNameMap {
    'mn-pwa-status': MnPwaStatus;
  }
}
