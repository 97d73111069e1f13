import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { TableCounts } from '../shared/api';
import { controls, errorText } from './styles';
import './mn-encryption';
import './mn-files';
import { formatBytes, MnView, renderTask } from './view';

const LABELS: Record<keyof TableCounts, string> = {
  spaces: 'Spaces',
  agents: 'Agents',
  sessions: 'Sessions',
  conversations: 'Conversations',
  messages: 'Messages',
  memories: 'Memories',
  longTermMemories: 'Long-term memories',
  shortTermMemories: 'Short-term memories',
  vectorEntries: 'Vector entries',
  contents: 'Documents',
  chunks: 'Document chunks',
  settings: 'Settings',
  agentExecutions: 'Agent executions',
};

/** Database statistics, health and maintenance. */
export class MnData extends MnView {
  static override properties = { ...MnView.properties, notice: { state: true }, rebuilding: { state: true } };
  declare notice: string | null;
  declare rebuilding: boolean;

  constructor() {
    super();
    this.notice = null;
    this.rebuilding = false;
  }

  static override styles = [
    controls,
    css`
      /* The per-space table scrolls inside its card; its width must not widen the page. */
      :host {
        display: block;
        min-width: 0;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(18rem, 100%), 1fr));
        gap: 1rem;
      }
      .grid > section {
        min-width: 0;
        overflow-x: auto;
      }
      .ok {
        color: var(--mn-ok);
      }
      meter {
        width: 100%;
      }
      mn-files {
        margin-top: 1rem;
      }
    `,
  ];

  private readonly data = new Task(this, {
    task: async () => {
      const client = this.client!;
      const [stats, health, path] = await Promise.all([client.stats(), client.healthCheck(), client.getDatabasePath()]);
      return { stats, health, path };
    },
    args: () => [this.revision, this.client] as const,
  });

  private async cleanup(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const days = Number(new FormData(event.target as HTMLFormElement).get('days'));
    if (!confirm(`Delete conversations with no activity in the last ${days} days?`)) return;
    try {
      const result = await this.client!.cleanupOldConversations(days);
      this.notice = `Removed ${result.conversations} conversations and ${result.messages} messages.`;
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  private async rebuild(): Promise<void> {
    this.rebuilding = true;
    this.notice = 'Rebuilding the search index…';
    try {
      const result = await this.client!.rebuildIndex();
      this.notice = `Search index rebuilt: ${Object.values(result.rows).reduce((a, b) => a + b, 0)} rows in ${(result.durationMs / 1000).toFixed(1)} s; ${result.queuedForEmbedding} queued for embedding.`;
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      this.rebuilding = false;
    }
  }

  private async clearAll(): Promise<void> {
    if (!confirm('Delete ALL data in every space? This cannot be undone.')) return;
    try {
      await this.client!.clearAll({ confirm: true });
      this.notice = 'All data was deleted.';
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  override render() {
    return renderTask(this.data, { loading: 'Loading statistics…', complete: (value) => this.renderLoaded(value) });
  }

  private renderLoaded({ stats, health, path }: NonNullable<typeof this.data.value>) {
    return html`
        ${this.notice ? html`<p class="card" role="status" data-testid="data-notice">${this.notice}</p>` : nothing}
        <div class="grid">
          <section class="card" aria-labelledby="totals-h">
            <h2 id="totals-h">Totals</h2>
            <table data-testid="totals">
              <tbody>
                ${(Object.keys(LABELS) as Array<keyof TableCounts>).map(
                  (key) => html`<tr><th scope="row">${LABELS[key]}</th><td class="n" data-key=${key}>${stats.totals[key]}</td></tr>`,
                )}
                <tr><th scope="row">Unique users</th><td class="n">${stats.uniqueUsers}</td></tr>
                <tr><th scope="row">Messages today</th><td class="n">${stats.messagesToday}</td></tr>
                <tr><th scope="row">Active users (${stats.activeWindowDays} days)</th><td class="n">${stats.activeUsers}</td></tr>
              </tbody>
            </table>
          </section>
          <section class="card" aria-labelledby="storage-h">
            <h2 id="storage-h">Storage</h2>
            <p>Database file: <strong>${formatBytes(stats.fileSizeBytes)}</strong></p>
            <p class="meta">${path.path}</p>
            ${stats.storage.quota
              ? html`<label>Origin storage: ${formatBytes(stats.storage.usage)} of ${formatBytes(stats.storage.quota)}
                    <meter min="0" max=${stats.storage.quota} value=${stats.storage.usage ?? 0}></meter></label>`
              : html`<p class="muted">Storage estimate unavailable.</p>`}
            <p>Persistent storage: ${stats.storage.persisted === null ? 'unknown' : stats.storage.persisted ? 'granted' : 'not granted'}</p>
          </section>
          <section class="card" aria-labelledby="health-h">
            <h2 id="health-h">Health</h2>
            <p data-testid="health" class=${health.ok ? 'ok' : 'error'}>${health.ok ? 'Healthy' : 'Problems found'}</p>
            <ul>
              <li>Integrity: ${health.quickCheck.join(', ')}</li>
              <li>Foreign-key violations: ${health.foreignKeyViolations}</li>
              <li data-testid="derived">Search index and vector counts: ${health.derivedDataIssues.length === 0 ? 'in step' : health.derivedDataIssues.join('; ')}</li>
              <li>Schema version: ${health.schemaVersion} (app ${health.latestVersion})</li>
              <li>VFS: ${health.vfs}, journal: ${health.journalMode}</li>
            </ul>
          </section>
          <section class="card" aria-labelledby="per-space-h" tabindex="0">
            <h2 id="per-space-h">Per space</h2>
            <table>
              <thead><tr><th>User / space</th><th>Messages</th><th>Memories</th><th>Documents</th></tr></thead>
              <tbody>
                ${stats.perSpace.map(
                  (s) => html`<tr><td>${s.userId} / ${s.name}</td><td class="n">${s.counts.messages}</td><td class="n">${s.counts.memories}</td><td class="n">${s.counts.contents}</td></tr>`,
                )}
              </tbody>
            </table>
          </section>
          <section class="card" aria-labelledby="maint-h">
            <h2 id="maint-h">Maintenance</h2>
            <form class="row" @submit=${this.cleanup}>
              <label>Remove conversations idle for <input name="days" class="narrow" type="number" min="1" value="90" required /> days</label>
              <button type="submit" class="secondary">Clean up</button>
            </form>
            <p>
              <button class="secondary" data-testid="rebuild" ?disabled=${this.rebuilding} @click=${this.rebuild}>
                ${this.rebuilding ? 'Rebuilding…' : 'Rebuild search index'}
              </button>
            </p>
            <p><button class="danger" @click=${this.clearAll}>Delete all data…</button></p>
          </section>
        </div>
        <mn-encryption></mn-encryption>
        <mn-files></mn-files>
      `;
  }
}

customElements.define('mn-data', MnData);

declare global {
  interface HTMLElementTagNameMap {
    'mn-data': MnData;
  }
}
