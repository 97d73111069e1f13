import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { EmbeddingStatus } from '../shared/api';
import { SEARCH_DEFAULTS } from '../shared/search-defaults';
import './mn-endpoints';
import './mn-sync';
import { controls, errorText } from './styles';
import { MnView, renderTask } from './view';

export type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'mnemo.theme';

export function savedTheme(): Theme {
  const value = localStorage.getItem(THEME_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
}

/**
 * Settings: chat model endpoints, sync, embedding model, search defaults, memory dedup threshold, theme.
 * Each card loads on its own: the embedding model's status waits for the model, the rest does not.
 */
export class MnSettings extends MnView {
  static override properties = { ...MnView.properties, notice: { state: true }, theme: { state: true }, switching: { state: true } };
  declare notice: string | null;
  declare theme: Theme;
  declare switching: boolean;

  constructor() {
    super();
    this.notice = null;
    this.theme = savedTheme();
    this.switching = false;
  }

  static override styles = [
    controls,
    css`
      .grid {
        display: grid;
        /* min(): one column narrower than 20rem on a phone instead of overflowing it. */
        grid-template-columns: repeat(auto-fit, minmax(min(20rem, 100%), 1fr));
        gap: 1rem;
      }
      .grid > *,
      form > * {
        min-width: 0;
      }
      form {
        display: grid;
        gap: 0.6rem;
      }
      /* A long model name must not widen the card (the select shows it cut; the list shows it whole). */
      select {
        max-width: 100%;
      }
      mn-endpoints,
      mn-sync {
        display: block;
        margin-bottom: 1rem;
      }
    `,
  ];

  /** Search defaults and the dedup threshold: read at once. */
  private readonly prefs = new Task(this, {
    task: async () => {
      const client = this.client!;
      const [defaults, threshold] = await Promise.all([client.settings.get('search.defaults'), client.settings.get('memories.dedupThreshold')]);
      return { defaults: (defaults ?? {}) as { fusion?: string; textWeight?: number; mode?: string }, threshold: typeof threshold === 'number' ? threshold : 0.92 };
    },
    args: () => [this.revision, this.client] as const,
  });

  /** The embedding status answers once the model has loaded, so its card waits alone. */
  private readonly model = new Task(this, {
    task: async () => this.client!.embeddings.status(),
    args: () => [this.revision, this.client] as const,
  });

  private async setModel(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const modelId = String(new FormData(event.target as HTMLFormElement).get('model') ?? '');
    if (!confirm('Switching the model re-embeds every message, memory and document. Continue?')) return;
    this.switching = true;
    try {
      const status: EmbeddingStatus = await this.client!.embeddings.setModel(modelId);
      this.notice = `Model set to ${status.modelId}; ${status.pending} items queued for embedding.`;
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      this.switching = false;
    }
  }

  private async saveSearch(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    try {
      await this.client!.settings.set('search.defaults', {
        mode: String(data.get('mode')),
        fusion: String(data.get('fusion')),
        textWeight: Number(data.get('textWeight')) / 100,
      });
      const threshold = Number(data.get('threshold'));
      await this.client!.settings.set('memories.dedupThreshold', threshold);
      this.notice = 'Search settings saved.';
    } catch (error) {
      this.notice = errorText(error);
    }
  }

  private setTheme(theme: Theme): void {
    this.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
    applyTheme(theme);
  }

  override render() {
    return html`
      ${this.notice ? html`<p class="card" role="status">${this.notice}</p>` : nothing}
      <mn-endpoints></mn-endpoints>
      <mn-sync></mn-sync>
      <div class="grid">
        <section class="card" aria-labelledby="model-h">
          <h2 id="model-h">Embedding model</h2>
          ${renderTask(this.model, {
            loading: 'Loading the model…',
            complete: (status) => html`<p class="meta">Current: ${status.modelId}${status.dims ? ` · ${status.dims} dims` : ''} · ${status.embedded} embedded · ${status.pending} waiting${status.error ? ` · ${status.error}` : ''}</p>
              <form @submit=${this.setModel}>
                <label>Model
                  <select name="model">
                    ${status.models.map(
                      (m) => html`<option value=${m.id} ?selected=${m.id === status.modelId}>${m.id} (${m.source}${m.source === 'remote' ? ', downloads once when online' : ''})</option>`,
                    )}
                  </select>
                </label>
                <button type="submit" ?disabled=${this.switching}>Use this model</button>
              </form>`,
          })}
        </section>
        ${renderTask(this.prefs, {
          loading: 'Loading settings…',
          complete: ({ defaults, threshold }) => html`
          <section class="card" aria-labelledby="search-settings-h">
            <h2 id="search-settings-h">Search</h2>
            <form @submit=${this.saveSearch}>
              <label>Default mode
                <select name="mode">
                  ${['hybrid', 'keyword', 'vector'].map((m) => html`<option value=${m} ?selected=${(defaults.mode ?? 'hybrid') === m}>${m}</option>`)}
                </select>
              </label>
              <label>Fusion
                <select name="fusion">
                  <option value="rrf" ?selected=${(defaults.fusion ?? SEARCH_DEFAULTS.fusion) === 'rrf'}>Reciprocal rank</option>
                  <option value="weighted" ?selected=${(defaults.fusion ?? SEARCH_DEFAULTS.fusion) === 'weighted'}>Weighted scores</option>
                </select>
              </label>
              <label>Text weight (%) <input name="textWeight" type="number" min="0" max="100" .value=${String(Math.round((defaults.textWeight ?? SEARCH_DEFAULTS.weights.text) * 100))} /></label>
              <label>Memory duplicate threshold (cosine) <input name="threshold" type="number" min="0.5" max="1" step="0.01" .value=${String(threshold)} /></label>
              <button type="submit">Save</button>
            </form>
          </section>`,
        })}
        <section class="card" aria-labelledby="theme-h">
          <h2 id="theme-h">Theme</h2>
          <div class="row" role="radiogroup" aria-label="Theme">
            ${(['system', 'light', 'dark'] as const).map(
              (t) => html`<label><input type="radio" name="theme" .checked=${this.theme === t} @change=${() => this.setTheme(t)} /> ${t}</label>`,
            )}
          </div>
        </section>
      </div>
    `;
  }
}

customElements.define('mn-settings', MnSettings);

declare global {
  interface HTMLElementTagNameMap {
    'mn-settings': MnSettings;
  }
}
