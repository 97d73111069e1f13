import { css, html, nothing } from 'lit';
import type { ConversationImportReport, Progress } from '../shared/api';
import { routeHash } from './route';
import { controls, errorText } from './styles';
import { formatBytes, MnView, timeLeft } from './view';

type Stage = 'idle' | 'previewing' | 'ready' | 'importing' | 'done';

const FORMAT_NAMES: Record<NonNullable<ConversationImportReport['format']>, string> = {
  chatgpt: 'ChatGPT export',
  claude: 'Claude export',
  'mnemo-json': 'Mnemo space (JSON)',
};

function formatDay(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** Why a file was refused, in words a person can act on; other errors keep their own message. */
function importErrorText(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  if (code === 'IMPORT_REJECTED') {
    const reason = errorText(error).replace(/[.\s]*$/, '.');
    return `These files cannot be imported: ${reason} Choose the zip you downloaded from ChatGPT or Claude, or the conversations.json inside it.`;
  }
  return errorText(error);
}

/**
 * Import of ChatGPT and Claude data exports: choose or drop the files, see a
 * preview (a dry run that writes nothing), then import with progress, cancel
 * and a final report.
 */
export class MnImport extends MnView {
  static override properties = {
    ...MnView.properties,
    files: { state: true },
    stage: { state: true },
    preview: { state: true },
    report: { state: true },
    failure: { state: true },
    progress: { state: true },
    dragging: { state: true },
  };

  declare files: File[];
  declare stage: Stage;
  declare preview: ConversationImportReport | null;
  declare report: ConversationImportReport | null;
  declare failure: string | null;
  declare progress: Progress | null;
  declare dragging: boolean;
  private stopProgress: (() => Promise<void>) | undefined;

  constructor() {
    super();
    this.files = [];
    this.stage = 'idle';
    this.preview = null;
    this.report = null;
    this.failure = null;
    this.progress = null;
    this.dragging = false;
  }

  static override styles = [
    controls,
    css`
      .page {
        display: grid;
        gap: 0.9rem;
        max-width: 46rem;
      }
      .card > :last-child {
        margin-bottom: 0;
      }
      p {
        margin: 0.5rem 0;
      }
      a {
        color: var(--mn-accent);
      }
      .drop {
        display: grid;
        gap: 0.3rem;
        justify-items: center;
        text-align: center;
        padding: 1.5rem 1rem;
        border: 2px dashed var(--mn-border);
        border-radius: var(--mn-radius);
        background: var(--mn-surface-2);
        cursor: pointer;
      }
      .drop:focus-within {
        outline: 3px solid var(--mn-focus);
        outline-offset: 2px;
      }
      .drop.over {
        border-color: var(--mn-accent);
      }
      .drop strong {
        font-size: 1.05rem;
      }
      .drop[aria-disabled='true'] {
        opacity: 0.6;
        cursor: default;
      }
      ul.files {
        margin-top: 0.4rem;
      }
      ul.files li {
        overflow-wrap: anywhere;
      }
      progress {
        display: block;
        width: 100%;
        height: 0.8rem;
        margin: 0.4rem 0 0.7rem;
      }
      h3 {
        font-size: 1rem;
        margin: 0.9rem 0 0.3rem;
      }
      ul.reasons {
        margin: 0;
        padding-left: 1.2rem;
        overflow-wrap: anywhere;
      }
      table {
        max-width: 28rem;
      }
      .problems {
        padding-left: 1.2rem;
        margin: 0;
      }
      .problems li {
        overflow-wrap: anywhere;
        padding: 0.15rem 0;
      }
      .problems code {
        font-family: var(--mn-mono);
        font-size: 0.85rem;
      }
      .actions {
        margin-top: 0.9rem;
      }
      .ok {
        color: var(--mn-ok);
      }
      [role='alert'].error {
        border: 1px solid var(--mn-danger);
        border-radius: 8px;
        padding: 0.6rem 0.75rem;
        margin: 0;
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.stopProgress?.();
    this.stopProgress = undefined;
  }

  private get busy(): boolean {
    return this.stage === 'previewing' || this.stage === 'importing';
  }

  private picked(event: Event): void {
    const input = event.target as HTMLInputElement;
    void this.choose([...(input.files ?? [])]);
    input.value = '';
  }

  private dropped(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    if (this.busy) return;
    void this.choose([...(event.dataTransfer?.files ?? [])]);
  }

  private dragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = this.busy ? 'none' : 'copy';
    this.dragging = !this.busy;
  }

  /** New files replace the previous choice and get a fresh preview (a dry run). */
  private async choose(files: File[]): Promise<void> {
    if (files.length === 0 || this.busy) return;
    this.files = files;
    this.preview = null;
    this.report = null;
    this.failure = null;
    this.stage = 'previewing';
    try {
      const preview = await this.space!.importConversations(files, { dryRun: true });
      this.preview = preview;
      this.stage = preview.cancelled ? 'idle' : 'ready';
    } catch (error) {
      this.failure = importErrorText(error);
      this.stage = 'idle';
    }
  }

  private async runImport(): Promise<void> {
    const preview = this.preview;
    if (!preview || this.busy) return;
    this.stopProgress ??= await this.client!.onProgress((p) => {
      if (p.task === 'import') this.progress = p;
    });
    this.failure = null;
    this.report = null;
    this.progress = null;
    this.stage = 'importing';
    try {
      this.report = await this.space!.importConversations(this.files, {
        expectedConversations: preview.conversations.imported + preview.conversations.updated,
      });
      this.stage = 'done';
    } catch (error) {
      this.failure = importErrorText(error);
      this.stage = 'ready';
    }
    this.progress = null;
  }

  private cancel(): void {
    this.space!.cancelImport().catch((error: unknown) => (this.failure = errorText(error)));
  }

  private renderCounts(r: ConversationImportReport, caption: string) {
    const c = r.conversations;
    return html`<p>
        Format: <strong data-testid="format">${r.format ? FORMAT_NAMES[r.format] : 'unknown'}</strong><br />
        Dates: <span data-testid="dates">${formatDay(r.dateRange.from)} – ${formatDay(r.dateRange.to)}</span>
      </p>
      <table data-testid=${r.dryRun ? 'preview-counts' : 'report-counts'}>
      <caption class="sr-only">${caption}</caption>
      <tbody>
        <tr><th scope="row">Conversations ${r.dryRun ? 'to import' : 'imported'}</th><td class="n" data-count="imported">${c.imported}</td></tr>
        <tr><th scope="row">Conversations ${r.dryRun ? 'to update' : 'updated'}</th><td class="n" data-count="updated">${c.updated}</td></tr>
        <tr><th scope="row">Unchanged</th><td class="n" data-count="unchanged">${c.unchanged}</td></tr>
        <tr><th scope="row">Skipped</th><td class="n" data-count="skipped">${c.skipped}</td></tr>
        <tr><th scope="row">Messages ${r.dryRun ? 'to import' : 'imported'}</th><td class="n" data-count="messages">${r.messages.imported}</td></tr>
        <tr><th scope="row">Messages skipped</th><td class="n" data-count="messages-skipped">${r.messages.skipped}</td></tr>
      </tbody>
    </table>`;
  }

  private renderReasons(r: ConversationImportReport) {
    const reasons = Object.entries(r.skippedReasons);
    if (reasons.length === 0) return nothing;
    return html`<h3>Skipped, by reason</h3>
      <ul class="reasons" data-testid="skipped-reasons">
        ${reasons.map(([reason, n]) => html`<li>${reason}: ${n}</li>`)}
      </ul>`;
  }

  private renderProblems(r: ConversationImportReport) {
    if (r.problems.length === 0) return html`<p class="muted">No problems.</p>`;
    return html`<h3>Problems (${r.problems.length})</h3>
      <ul class="problems" data-testid="problems">
        ${r.problems.map((p) => html`<li><code>${p.where}</code>: ${p.reason}</li>`)}
      </ul>`;
  }

  private renderPreview(preview: ConversationImportReport) {
    const writes = preview.conversations.imported + preview.conversations.updated;
    return html`<section class="card" aria-labelledby="preview-h" data-testid="preview">
      <h2 id="preview-h">Preview</h2>
      <p class="muted">Nothing has been written yet.</p>
      ${this.renderCounts(preview, 'What the import would do')}
      ${this.renderReasons(preview)} ${this.renderProblems(preview)}
      <div class="row actions">
        <button type="button" @click=${this.runImport} ?disabled=${this.busy}>
          ${writes === 0 ? 'Import (nothing new)' : `Import ${writes} conversation${writes === 1 ? '' : 's'}`}
        </button>
      </div>
    </section>`;
  }

  private renderReport(report: ConversationImportReport) {
    return html`<section class="card" aria-labelledby="report-h" data-testid="report">
      <h2 id="report-h">${report.cancelled ? 'Import cancelled' : 'Import finished'}</h2>
      <p role="status" class=${report.cancelled ? '' : 'ok'}>
        ${report.cancelled
          ? 'Stopped. Every conversation written so far is complete; import again to continue.'
          : `${report.conversations.imported} imported, ${report.conversations.updated} updated, ${report.conversations.unchanged} unchanged.`}
      </p>
      ${this.renderCounts(report, 'What the import did')}
      ${this.renderReasons(report)} ${this.renderProblems(report)}
      <p class="row">
        <a href="#search">Search what you imported</a>
        ${report.sessionId
          ? html`<a href=${routeHash({ view: 'chats', ids: [report.sessionId] })}>Open the imported chats</a>`
          : nothing}
      </p>
    </section>`;
  }

  override render() {
    const progress = this.progress;
    return html`<section class="page" aria-labelledby="import-h">
      <div class="card">
        <h2 id="import-h">Import conversations</h2>
        <p class="muted">
          Bring in your history from a ChatGPT or Claude data export. Everything stays on this device; importing the same export again only adds what is new.
        </p>
        <label
          class="drop ${this.dragging ? 'over' : ''}"
          aria-disabled=${this.busy ? 'true' : 'false'}
          @dragover=${this.dragOver}
          @dragleave=${() => (this.dragging = false)}
          @drop=${this.dropped}
        >
          <strong>Drop export files here, or choose files</strong>
          <span class="muted">zip or JSON; select every part of a split export</span>
          <input class="sr-only" type="file" multiple accept=".zip,.json,application/zip,application/json" ?disabled=${this.busy} @change=${this.picked} />
        </label>
        ${this.files.length > 0
          ? html`<ul class="plain files" aria-label="Chosen files">
              ${this.files.map((f) => html`<li class="meta">${f.name} · ${formatBytes(f.size)}</li>`)}
            </ul>`
          : nothing}
      </div>
      ${this.failure ? html`<p class="error" role="alert" data-testid="import-error">${this.failure}</p>` : nothing}
      ${this.busy
        ? html`<div class="card" aria-live="polite">
            ${this.stage === 'previewing'
              ? html`<p>Reading the export…</p>`
              : html`<label
                  >Importing ${progress ? html`<span class="meta">${progress.detail ?? `${progress.done} of ${progress.total}`}${timeLeft(progress)}</span>` : nothing}
                  <progress max=${progress?.total || 1} .value=${progress && progress.total > 0 ? progress.done : 0}></progress>
                </label>`}
            <div class="row"><button type="button" class="secondary" @click=${this.cancel}>Cancel</button></div>
          </div>`
        : nothing}
      ${this.preview && this.stage === 'ready' ? this.renderPreview(this.preview) : nothing}
      ${this.report ? this.renderReport(this.report) : nothing}
    </section>`;
  }
}

customElements.define('mn-import', MnImport);

declare global {
  interface HTMLElementTagNameMap {
    'mn-import': MnImport;
  }
}
