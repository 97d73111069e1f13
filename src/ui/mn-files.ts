import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { BackupInfo, BackupStatus, ImportOptions, Progress } from '../shared/api';
import { saveFile } from './download';
import { controls, errorText } from './styles';
import { formatBytes, formatTime, MnView, renderTask, timeLeft } from './view';

const DAY_MS = 86_400_000;

const plural = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;

function dateStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** An encrypted export (`MNEMOENC` container, docs/encryption.md) rather than a plain SQLite file. */
function sealed(bytes: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(bytes.subarray(0, 8)) === 'MNEMOENC';
}

/** Export, import and backups on the Data page, with the backup reminder. */
export class MnFiles extends MnView {
  static override properties = {
    ...MnView.properties,
    notice: { state: true },
    busy: { state: true },
    progress: { state: true },
    sealedPick: { state: true },
  };
  declare notice: string | null;
  declare busy: boolean;
  declare progress: Progress | null;
  /** The file picked for import is an encrypted export: the form asks for its passphrase. */
  declare sealedPick: boolean;
  private progressSubscription: Promise<() => Promise<void>> | undefined;

  constructor() {
    super();
    this.notice = null;
    this.busy = false;
    this.progress = null;
    this.sealedPick = false;
  }

  static override styles = [
    controls,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .stack {
        display: grid;
        /* One column no wider than the card: an auto track would grow to its widest item's min-content. */
        grid-template-columns: minmax(0, 1fr);
        gap: 0.9rem;
      }
      .reminder {
        border-color: var(--mn-accent);
      }
      fieldset {
        border: 1px solid var(--mn-border);
        border-radius: 8px;
        margin: 0;
        padding: 0.5rem 0.75rem;
        /* A fieldset is as wide as its content by default: it would widen the card on a phone. */
        min-inline-size: 0;
      }
      input[type='file'] {
        max-width: 100%;
      }
      progress {
        width: 100%;
      }
      h3 {
        margin: 0;
        font-size: 1rem;
      }
    `,
  ];

  private readonly data = new Task(this, {
    task: async () => {
      const files = this.client!.files;
      const [status, backups] = await Promise.all([files.backups.status(), files.backups.list()]);
      return { status, backups };
    },
    args: () => [this.revision, this.client] as const,
  });

  override willUpdate(): void {
    // The client arrives through context after the element connected.
    if (this.client && !this.progressSubscription) {
      this.progressSubscription = this.client.onProgress((p) => {
        if (p.task === 'import' || p.task === 'restore') this.progress = p.done >= p.total ? null : p;
      });
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.progressSubscription?.then((stop) => stop());
    this.progressSubscription = undefined;
  }

  /** Runs one action at a time, reporting its outcome (or its error) in the notice line. */
  private async run(action: () => Promise<string>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.notice = null;
    try {
      this.notice = await action();
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      this.busy = false;
      this.progress = null;
      // Backups and the download time changed even when no table did.
      this.revision += 1;
    }
  }

  private exportAll = () =>
    this.run(async () => {
      const bytes = await this.client!.files.export();
      saveFile(`mnemo-${dateStamp(Date.now())}.${sealed(bytes) ? 'mnemoenc' : 'sqlite3'}`, bytes, 'application/vnd.sqlite3');
      return `Downloaded the database (${formatBytes(bytes.byteLength)}).`;
    });

  private exportSpace = (format: 'sqlite' | 'json') =>
    this.run(async () => {
      const scope = this.scope!;
      const base = `mnemo-${scope.spaceId}-${dateStamp(Date.now())}`;
      if (format === 'json') {
        // JSON cannot be encrypted: out of an encrypted database it leaves only when the person says so.
        const { encrypted } = await this.client!.encryption.status();
        if (encrypted && !confirm('This database is encrypted, but a JSON export is plain text: anyone who gets the file can read this space. Export anyway?')) {
          return 'JSON export cancelled.';
        }
        const json = await this.client!.files.exportJson(scope, { plaintext: encrypted });
        saveFile(`${base}.json`, json, 'application/json');
        return `Downloaded space “${scope.spaceId}” as JSON${encrypted ? ' (not encrypted)' : ''}.`;
      }
      const bytes = await this.client!.files.exportSpace(scope);
      saveFile(`${base}.${sealed(bytes) ? 'mnemoenc' : 'sqlite3'}`, bytes, 'application/vnd.sqlite3');
      return `Downloaded space “${scope.spaceId}” (${formatBytes(bytes.byteLength)}${sealed(bytes) ? ', encrypted with this database’s passphrase' : ''}).`;
    });

  private importFile = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('file');
    const mode = data.get('mode') as ImportOptions['mode'];
    if (!(file instanceof File) || file.name === '') return;
    if (mode === 'replace' && !confirm(`Replace ALL data with “${file.name}”? A backup of the current data is taken first.`)) return;
    void this.run(async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const entered = data.get('passphrase');
      const passphrase = sealed(bytes) && typeof entered === 'string' && entered !== '' ? entered : undefined;
      if (sealed(bytes) && !passphrase) {
        this.sealedPick = true;
        return `“${file.name}” is encrypted: enter its passphrase.`;
      }
      const result = await this.client!.files.import(bytes, { mode, ...(passphrase ? { passphrase } : {}) });
      form.reset();
      this.sealedPick = false;
      if (result.mode === 'replace') return `Replaced the database with “${file.name}” (${result.rows.messages ?? 0} messages).`;
      const added = Object.values(result.rows).reduce((sum, n) => sum + n, 0);
      return added === 0 ? `Nothing new in “${file.name}”.` : `Merged “${file.name}”: ${plural(added, 'row')} added (${plural(result.rows.messages ?? 0, 'message')}).`;
    });
  };

  /** Looks at the picked file's first bytes: an encrypted export needs its passphrase in the form. */
  private picked = async (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    this.sealedPick = file ? sealed(new Uint8Array(await file.slice(0, 8).arrayBuffer())) : false;
  };

  private backupNow = () =>
    this.run(async () => {
      const backup = await this.client!.files.backups.create();
      return `Backup taken (${formatBytes(backup.sizeBytes)}).`;
    });

  private download = (backup: BackupInfo) =>
    this.run(async () => {
      const bytes = await this.client!.files.backups.download(backup.id);
      saveFile(`mnemo-backup-${dateStamp(backup.createdAt)}.${sealed(bytes) ? 'mnemoenc' : 'sqlite3'}`, bytes, 'application/vnd.sqlite3');
      return `Downloaded the backup of ${formatTime(backup.createdAt)}.`;
    });

  private restore = (backup: BackupInfo) => {
    if (!confirm(`Restore the backup of ${formatTime(backup.createdAt)}? The current data is backed up first.`)) return;
    void this.run(async () => {
      await this.client!.files.backups.restore(backup.id);
      return `Restored the backup of ${formatTime(backup.createdAt)}.`;
    });
  };

  private deleteBackup = (backup: BackupInfo) => {
    if (!confirm(`Delete the backup of ${formatTime(backup.createdAt)}?`)) return;
    void this.run(async () => {
      await this.client!.files.backups.delete(backup.id);
      return 'Backup deleted.';
    });
  };

  private renderReminder(lastDownloadedAt: number | null, remindAfterDays: number) {
    const text =
      lastDownloadedAt === null
        ? 'You have not downloaded a copy of your data yet.'
        : `Your last downloaded copy is ${Math.floor((Date.now() - lastDownloadedAt) / DAY_MS)} days old (reminder after ${remindAfterDays}).`;
    return html`<p class="card reminder row" role="status" data-testid="backup-reminder">
      <span>${text} Backups kept in this browser are lost with its storage.</span>
      <button @click=${this.exportAll} ?disabled=${this.busy}>Download now</button>
    </p>`;
  }

  override render() {
    return renderTask(this.data, { loading: 'Loading backups…', complete: (value) => this.renderLoaded(value) });
  }

  private renderLoaded({ status, backups }: { status: BackupStatus; backups: BackupInfo[] }) {
    return html`
        <section class="card stack" aria-labelledby="files-h">
          <h2 id="files-h">Export, import and backups</h2>
          ${status.reminderDue ? this.renderReminder(status.lastDownloadedAt, status.remindAfterDays) : nothing}
          ${this.notice ? html`<p role="status" data-testid="files-notice">${this.notice}</p>` : nothing}
          ${this.progress
            ? html`<label>Importing: ${this.progress.detail ?? ''}${timeLeft(this.progress)}
                <progress max=${this.progress.total} value=${this.progress.done}></progress></label>`
            : nothing}

          <div class="row" role="group" aria-label="Export">
            <button @click=${this.exportAll} ?disabled=${this.busy}>Download database</button>
            <button class="secondary" @click=${() => this.exportSpace('sqlite')} ?disabled=${this.busy || !this.scope}>Export this space</button>
            <button class="secondary" @click=${() => this.exportSpace('json')} ?disabled=${this.busy || !this.scope}>Export this space as JSON</button>
          </div>
          <p class="meta">
            Last download: ${status.lastDownloadedAt === null ? 'never' : formatTime(status.lastDownloadedAt)}. The file opens in any
            SQLite tool. Chat model API keys are never in these files or in backups; to move them, use “Export endpoints” in
            <a href="#settings">Settings → Chat models</a>.
          </p>

          <form class="stack" @submit=${this.importFile} aria-label="Import a database file">
            <label
              >Database file
              <input
                type="file"
                name="file"
                accept=".sqlite3,.sqlite,.db,.mnemoenc,application/vnd.sqlite3,application/x-sqlite3"
                required
                @change=${this.picked}
            /></label>
            ${this.sealedPick
              ? html`<label
                  >Passphrase of this encrypted file
                  <input type="password" name="passphrase" autocomplete="current-password" required
                /></label>`
              : nothing}
            <fieldset class="row">
              <legend>How</legend>
              <label><input type="radio" name="mode" value="merge" checked /> Merge: add what is missing</label>
              <label><input type="radio" name="mode" value="replace" /> Replace everything</label>
            </fieldset>
            <div><button type="submit" class="secondary" ?disabled=${this.busy}>Import</button></div>
          </form>

          <div>
            <div class="row">
              <h3>Backups in this browser</h3>
              <button class="secondary" @click=${this.backupNow} ?disabled=${this.busy}>Back up now</button>
            </div>
            <p class="meta">The newest ${status.keep} are kept; one is taken before every import, restore and clear, and daily while the app is open.</p>
            ${backups.length === 0
              ? html`<p class="muted">No backups yet.</p>`
              : html`<table data-testid="backups">
                  <thead><tr><th>Taken</th><th>Why</th><th>Size</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>
                    ${backups.map(
                      (b) => html`<tr>
                        <td>${formatTime(b.createdAt)}</td>
                        <td>${b.reason}</td>
                        <td class="n">${formatBytes(b.sizeBytes)}</td>
                        <td class="row">
                          <button class="secondary" @click=${() => this.download(b)} ?disabled=${this.busy} aria-label="Download backup of ${formatTime(b.createdAt)}">Download</button>
                          <button class="secondary" @click=${() => this.restore(b)} ?disabled=${this.busy} aria-label="Restore backup of ${formatTime(b.createdAt)}">Restore</button>
                          <button class="danger" @click=${() => this.deleteBackup(b)} ?disabled=${this.busy} aria-label="Delete backup of ${formatTime(b.createdAt)}">Delete</button>
                        </td>
                      </tr>`,
                    )}
                  </tbody>
                </table>`}
          </div>
        </section>
      `;
  }
}

customElements.define('mn-files', MnFiles);

declare global {
  interface HTMLElementTagNameMap {
    'mn-files': MnFiles;
  }
}
