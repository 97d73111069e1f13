import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { Progress, RemoteSpace, SyncStatus } from '../shared/api';
import type { Scope, Space } from '../shared/models';
import { controls, errorText } from './styles';
import { MnView, renderTask } from './view';

const when = (at: number | null) => (at === null ? 'never' : new Date(at).toLocaleString());

/** Settings → Sync: sign in to a sync server, pick the spaces that sync, status, conflicts, "Sync now". */
export class MnSync extends MnView {
  static override properties = { ...MnView.properties, notice: { state: true }, busy: { state: true }, progress: { state: true } };
  declare notice: string | null;
  declare busy: boolean;
  declare progress: Progress | null;
  private stopProgress: (() => Promise<void>) | undefined;

  constructor() {
    super();
    this.notice = null;
    this.busy = false;
    this.progress = null;
  }

  static override styles = [
    controls,
    css`
      form {
        display: grid;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
      form button {
        justify-self: start;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
        margin: 0.5rem 0;
      }
      dd {
        margin: 0;
      }
      fieldset {
        border: 1px solid var(--border, #8884);
        border-radius: 0.4rem;
        display: grid;
        gap: 0.3rem;
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.stopProgress?.();
    this.stopProgress = undefined;
  }

  private async followProgress(): Promise<void> {
    if (this.stopProgress || !this.client) return;
    this.stopProgress = () => Promise.resolve(); // claimed before the await, so one subscription per element
    this.stopProgress = await this.client.onProgress((p) => {
      if (p.task === 'sync') this.progress = p.done === p.total ? null : p;
    });
  }

  private readonly data = new Task(this, {
    task: async ([, client]) => {
      void this.followProgress();
      const status = await client!.sync.status();
      const local = (await client!.spaces.list({ pageSize: 1000 })).items;
      let remote: RemoteSpace[] = [];
      if (status.configured) remote = await client!.sync.remoteSpaces().catch(() => []);
      return { status, local, remote };
    },
    args: () => [this.revision, this.client] as const,
  });

  private async act(fn: () => Promise<unknown>, done: string): Promise<void> {
    this.busy = true;
    this.notice = null;
    try {
      await fn();
      this.notice = done;
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      this.busy = false;
      this.revision += 1;
    }
  }

  private signIn(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const token = String(data.get('token') ?? '').trim();
    void this.act(async () => {
      await this.client!.sync.configure({ url: String(data.get('url') ?? '').trim(), ...(token ? { token } : {}), auto: data.get('auto') === 'on' });
      form.reset();
    }, 'Signed in. Pick the spaces to sync.');
  }

  private saveSpaces(event: SubmitEvent, status: SyncStatus, candidates: Scope[]): void {
    event.preventDefault();
    const chosen = new Set(new FormData(event.target as HTMLFormElement).getAll('space').map(String));
    const spaces = candidates.filter((s) => chosen.has(JSON.stringify([s.userId, s.spaceId])));
    void this.act(() => this.client!.sync.configure({ url: status.url!, spaces, auto: status.auto }), 'Spaces saved; syncing them now.');
  }

  private renderStatus(status: SyncStatus) {
    return html`
      <dl data-testid="sync-status">
        <dt>Server</dt><dd>${status.url}</dd>
        <dt>Last sync</dt><dd>${when(status.lastSyncAt)}${status.syncing ? ' (syncing now…)' : ''}</dd>
        <dt>Pending changes</dt><dd data-testid="sync-pending">${status.pending}</dd>
        <dt>Conflicts resolved</dt><dd data-testid="sync-conflicts">${status.conflictsResolved}</dd>
        <dt>Automatic</dt><dd>${status.auto ? 'on (after changes, when online, every 30 s)' : 'off'}</dd>
        ${status.nextRetryAt ? html`<dt>Next retry</dt><dd>${when(status.nextRetryAt)}</dd>` : nothing}
      </dl>
      ${status.lastError ? html`<p class="error" role="alert" data-testid="sync-error">Last error: ${status.lastError}</p>` : nothing}
      ${this.progress
        ? html`<p role="status"><progress max=${this.progress.total} .value=${this.progress.done}></progress> ${this.progress.detail ?? ''} ${this.progress.done}/${this.progress.total}</p>`
        : nothing}
      <p class="row">
        <button ?disabled=${this.busy} @click=${() => this.act(() => this.client!.sync.now(), 'Synced.')}>Sync now</button>
        <button class="secondary" ?disabled=${this.busy} @click=${() => this.act(() => this.client!.sync.disable(), 'Signed out; local data and unsent changes stay here.')}>Sign out</button>
      </p>
    `;
  }

  private renderSpaces(status: SyncStatus, local: Space[], remote: RemoteSpace[]) {
    const user = this.scope?.userId ?? local[0]?.userId ?? 'me';
    const candidates: Scope[] = local.map((s) => ({ userId: s.userId, spaceId: s.spaceId }));
    // Spaces shared with this account that this device does not have yet come in under the current user.
    for (const r of remote) if (!candidates.some((c) => c.spaceId === r.id)) candidates.push({ userId: user, spaceId: r.id });
    const synced = new Map(status.spaces.map((s) => [JSON.stringify([s.userId, s.spaceId]), s]));
    return html`
      <form @submit=${(e: SubmitEvent) => this.saveSpaces(e, status, candidates)} aria-label="Spaces to sync">
        <fieldset>
          <legend>Spaces to sync</legend>
          ${candidates.map((c) => {
            const key = JSON.stringify([c.userId, c.spaceId]);
            const state = synced.get(key);
            const onServer = remote.find((r) => r.id === c.spaceId);
            return html`<label
              ><input type="checkbox" name="space" value=${key} ?checked=${state !== undefined} /> ${c.spaceId}
              <span class="muted">(${c.userId}${onServer ? `; ${onServer.access} on the server` : ''}${state ? `; ${state.pending} pending${state.lastError ? `; ${state.lastError}` : ''}` : ''})</span></label
            >`;
          })}
        </fieldset>
        <button type="submit" ?disabled=${this.busy}>Save spaces</button>
      </form>
    `;
  }

  override render() {
    return html`
      <section class="card" aria-labelledby="sync-h">
        <h2 id="sync-h">Sync</h2>
        ${renderTask(this.data, {
          loading: 'Reading sync status…',
          complete: ({ status, local, remote }) => html`
            ${status.configured ? this.renderStatus(status) : html`<p class="muted" data-testid="sync-status">Not signed in: this device keeps its data to itself.</p>`}
            ${status.configured ? this.renderSpaces(status, local, remote) : nothing}
            <form @submit=${this.signIn} aria-label="Sign in to a sync server">
              <label>Server URL <input name="url" type="url" required placeholder="https://sync.example.org" .value=${status.url ?? ''} /></label>
              <label>Device token <input name="token" type="password" autocomplete="off" ?required=${!status.configured} placeholder=${status.configured ? 'stored; paste a new one to replace it' : 'mnemo_…'} /></label>
              <label><input name="auto" type="checkbox" ?checked=${!status.configured || status.auto} /> Sync automatically</label>
              <button type="submit" ?disabled=${this.busy}>${status.configured ? 'Update sign-in' : 'Sign in'}</button>
            </form>
            <p class="muted">
              The token stays in this browser (not in exports or backups). Changes sync per row; when two devices change the same
              row, the later change wins (docs/sync.md). A server that is down or a lost connection loses nothing: changes wait here.
            </p>
          `,
        })}
        ${this.notice ? html`<p role="status" data-testid="sync-notice">${this.notice}</p>` : nothing}
      </section>
    `;
  }
}

customElements.define('mn-sync', MnSync);

declare global {
  interface HTMLElementTagNameMap {
    'mn-sync': MnSync;
  }
}
