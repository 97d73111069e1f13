import { css, html, nothing } from 'lit';
import type { EmbeddingStatus, HitKind, Progress, SearchHit, SearchMode, SearchRequest } from '../shared/api';
import { SEARCH_DEFAULTS } from '../shared/search-defaults';
import { navigate, routeHash } from './route';
import { controls, errorText } from './styles';
import { MnView, timeLeft } from './view';

const KIND_LABEL: Record<HitKind, string> = { message: 'Message', memory: 'Memory', vector: 'Vector entry', chunk: 'Document' };
const MODES: Array<{ id: SearchMode; label: string }> = [
  { id: 'keyword', label: 'Keyword' },
  { id: 'vector', label: 'Semantic' },
  { id: 'hybrid', label: 'Hybrid' },
];

/** Renders a snippet with its highlight ranges as <mark>, all as text nodes. */
function highlighted(snippet: string, ranges: Array<[number, number]>) {
  const parts = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at) continue;
    parts.push(snippet.slice(at, start));
    parts.push(html`<mark>${snippet.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(snippet.slice(at));
  return parts;
}

const percent = (value: number) => `${Math.round(Math.max(0, Math.min(1, value)) * 100)}%`;

/** Raw score parts for the tooltip: bm25 over a small corpus is tiny, so fixed digits would show 0. */
function raw(value: number | undefined): string {
  if (value === undefined) return '–';
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential(2) : value.toFixed(4);
}

/**
 * Keyword, semantic and hybrid search with filters and a score breakdown per
 * hit. The query and mode of the last search are in the route,
 * `#search/<mode>/<query>`, so a reload or Back runs it again; each hit links
 * to where it lives (`#chats/<session>/<conversation>/<message>`,
 * `#documents/<session>/<document>`, `#memories/<kind>`, `#vectors/<collection>/<entry>`).
 */
export class MnSearch extends MnView {
  static override properties = {
    ...MnView.properties,
    query: { attribute: false },
    routeMode: { attribute: false },
    hits: { state: true },
    busy: { state: true },
    error: { state: true },
    mode: { state: true },
    status: { state: true },
    progress: { state: true },
  };

  /** The query from the route; null: no search yet. */
  declare query: string | null;
  /** The mode from the route; null: the saved default. */
  declare routeMode: SearchMode | null;
  declare hits: SearchHit[] | null;
  declare busy: boolean;
  declare error: string | null;
  declare mode: SearchMode;
  declare status: EmbeddingStatus | null;
  declare progress: Progress | null;
  private stopProgress: (() => Promise<void>) | undefined;
  private defaults: { fusion?: 'rrf' | 'weighted'; textWeight?: number } = {};
  /** `<mode>/<query>` of the search last started, so that its route does not start it again. */
  private started: string | null = null;
  /** Ignores the answer of a search overtaken by a newer one. */
  private generation = 0;

  constructor() {
    super();
    this.query = null;
    this.routeMode = null;
    this.hits = null;
    this.busy = false;
    this.error = null;
    this.mode = 'hybrid';
    this.status = null;
    this.progress = null;
  }

  static override styles = [
    controls,
    css`
      form.query {
        display: grid;
        gap: 0.6rem;
      }
      form.query input[type='search'] {
        font-size: 1.05rem;
        padding: 0.6rem 0.75rem;
      }
      fieldset {
        border: 1px solid var(--mn-border);
        border-radius: 8px;
        display: flex;
        gap: 0.75rem;
        flex-wrap: wrap;
        align-items: center;
      }
      [role='radiogroup'] label {
        padding: 0.3rem 0.6rem;
        border-radius: 8px;
        border: 1px solid var(--mn-border);
        cursor: pointer;
      }
      [role='radiogroup'] input:checked + span {
        font-weight: 700;
      }
      ol.hits {
        padding-left: 1.2rem;
      }
      ol.hits > li {
        border-bottom: 1px solid var(--mn-border);
        padding: 0.6rem 0;
      }
      .snippet {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      mark {
        background: var(--mn-mark);
        color: inherit;
        border-radius: 3px;
      }
      .badge {
        font-size: 0.75rem;
        background: var(--mn-surface-2);
        border: 1px solid var(--mn-border);
        border-radius: 999px;
        padding: 0.1rem 0.5rem;
      }
      dl.scores {
        display: flex;
        gap: 0.9rem;
        flex-wrap: wrap;
        margin: 0.3rem 0 0;
        font-size: 0.8rem;
        color: var(--mn-muted);
      }
      dl.scores div {
        display: flex;
        gap: 0.25rem;
      }
      dl.scores dt {
        font-weight: 600;
      }
      dl.scores dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      progress {
        width: 12rem;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    // Lit does not wait for connectedCallback: the view renders at once and fills in as these answer.
    void this.loadDefaults();
  }

  private async loadDefaults(): Promise<void> {
    await this.updateComplete;
    const client = this.client;
    if (!client) return;
    this.stopProgress = await client.onProgress((p) => {
      if (p.task === 'embedding' || p.task === 'index') this.progress = p.done >= p.total ? null : p;
    });
    this.status = await client.embeddings.status().catch(() => null);
    const defaults = (await client.settings.get('search.defaults').catch(() => null)) as { mode?: SearchMode; fusion?: 'rrf' | 'weighted'; textWeight?: number } | null;
    if (defaults?.mode && !this.routeMode) this.mode = defaults.mode;
    this.defaults = defaults ?? {};
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.stopProgress?.();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (!changed.has('query') && !changed.has('routeMode')) return;
    if (this.routeMode) this.mode = this.routeMode;
    if (this.query === null) {
      // Back to `#search`: no search.
      this.generation += 1;
      this.started = null;
      this.hits = null;
      this.error = null;
      this.busy = false;
    } else if (this.started !== `${this.mode}/${this.query}`) {
      const query = this.query;
      void this.updateComplete.then(() => this.run(query));
    }
  }

  /** Search submitted: its query and mode go into the route (a new history entry when they changed). */
  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const query = String(new FormData(event.target as HTMLFormElement).get('query') ?? '');
    void this.run(query);
    navigate('search', this.mode, query);
  }

  private async run(query: string): Promise<void> {
    const form = this.renderRoot.querySelector<HTMLFormElement>('form.query');
    if (!form || !this.space) return;
    this.started = `${this.mode}/${query}`;
    const generation = ++this.generation;
    const data = new FormData(form);
    const request: SearchRequest = { query, mode: this.mode, limit: Number(data.get('limit') ?? 20) };
    const filters: NonNullable<SearchRequest['filters']> = {};
    const kinds = data.getAll('kind').map(String) as HitKind[];
    if (kinds.length && kinds.length < 4) filters.kinds = kinds;
    const role = String(data.get('role') ?? '');
    if (role) filters.role = role as never;
    const memoryKind = String(data.get('memoryKind') ?? '');
    if (memoryKind) filters.memoryKind = memoryKind as never;
    const collection = String(data.get('collection') ?? '').trim();
    if (collection) filters.collection = collection;
    const from = String(data.get('from') ?? '');
    if (from) filters.from = new Date(from).getTime();
    const to = String(data.get('to') ?? '');
    if (to) filters.to = new Date(to).getTime() + 86_400_000;
    if (Object.keys(filters).length) request.filters = filters;
    if (this.mode === 'hybrid') {
      request.fusion = String(data.get('fusion') ?? SEARCH_DEFAULTS.fusion) as 'rrf' | 'weighted';
      const text = Number(data.get('textWeight') ?? SEARCH_DEFAULTS.weights.text * 100) / 100;
      request.weights = { text, vector: 1 - text };
    }
    this.busy = true;
    this.error = null;
    try {
      const hits = await this.space.search(request);
      if (generation === this.generation) this.hits = hits;
    } catch (error) {
      if (generation !== this.generation) return;
      this.error = errorText(error);
      this.hits = null;
    } finally {
      if (generation === this.generation) this.busy = false;
    }
  }

  private link(hit: SearchHit) {
    const r = hit.ref;
    switch (hit.kind) {
      case 'message':
        return html`<a href=${routeHash({ view: 'chats', ids: [r.sessionId ?? '', r.conversationId ?? '', hit.id] })}>Open conversation</a>`;
      case 'memory':
        return html`<a href=${routeHash({ view: 'memories', ids: [r.memoryKind ?? 'long'] })}>Open memories</a>`;
      case 'chunk':
        return html`<a href=${routeHash({ view: 'documents', ids: [r.sessionId ?? '', r.contentId ?? ''] })}>Open document</a> <span class="meta">lines ${r.startLine}–${r.endLine}</span>`;
      default:
        return html`<a href=${routeHash({ view: 'vectors', ids: [r.collection ?? '', hit.id] })}>Open entry</a>
          <span class="meta">collection ${r.collection}${r.documentId ? ` · ${r.documentId}` : ''}</span>`;
    }
  }

  private renderHit(hit: SearchHit, best: number) {
    const s = hit.score;
    const parts = `fused ${raw(s.fused)} · bm25 ${raw(s.bm25)} · cosine ${raw(s.cosine)}`;
    return html`<li data-kind=${hit.kind} data-id=${hit.id}>
      <div class="row"><span class="badge">${KIND_LABEL[hit.kind]}${hit.ref.role ? ` · ${hit.ref.role}` : ''}${hit.ref.memoryKind ? ` · ${hit.ref.memoryKind}-term` : ''}</span> ${this.link(hit)}</div>
      <p class="snippet">${highlighted(hit.snippet || hit.text, hit.highlights)}</p>
      <dl class="scores" aria-label="Score breakdown" title=${parts}>
        <div><dt>relevance</dt><dd>${best > 0 ? percent(s.fused / best) : '–'}</dd></div>
        <div><dt>words</dt><dd>${s.coverage === undefined ? 'no keyword match' : `${percent(s.coverage)} matched`}</dd></div>
        <div><dt>meaning</dt><dd>${s.cosine === undefined ? '–' : `${percent(s.cosine)} similar`}</dd></div>
        ${s.rankKeyword || s.rankVector
          ? html`<div><dt>ranks</dt><dd>${s.rankKeyword ? `keyword #${s.rankKeyword}` : ''}${s.rankKeyword && s.rankVector ? ' · ' : ''}${s.rankVector ? `vector #${s.rankVector}` : ''}</dd></div>`
          : nothing}
      </dl>
    </li>`;
  }

  /** The `/` shortcut. */
  focusStart(): void {
    this.renderRoot.querySelector<HTMLInputElement>('#q')?.focus();
  }

  override render() {
    const status = this.status;
    return html`<section class="card" aria-labelledby="search-h">
      <h2 id="search-h">Search</h2>
      <p class="meta" data-testid="embedding-status">
        ${status
          ? html`Model ${status.modelId}${status.dims ? ` (${status.dims} dims)` : ''} · ${status.embedded} embedded · ${status.pending} waiting${status.error ? html` · <span class="error">${status.error}</span>` : nothing}`
          : 'Embedding model loading…'}
        ${this.progress
          ? html`<label> · embedding <progress max=${this.progress.total} value=${this.progress.done}></progress> ${this.progress.done}/${this.progress.total}${timeLeft(this.progress)}</label>`
          : nothing}
      </p>
      <form class="query" role="search" @submit=${this.submit}>
        <label for="q" class="sr-only">Search text</label>
        <input id="q" name="query" type="search" .value=${this.query ?? ''} placeholder='Search messages, memories, documents… ("phrase", prefix*, -exclude)' required />
        <div class="row" role="radiogroup" aria-label="Search mode">
          ${MODES.map(
            (m) => html`<label><input type="radio" name="mode" value=${m.id} .checked=${this.mode === m.id} @change=${() => (this.mode = m.id)} /><span>${m.label}</span></label>`,
          )}
          <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Searching…' : 'Search'}</button>
        </div>
        <details>
          <summary>Filters and weights</summary>
          <fieldset>
            <legend>Sources</legend>
            ${(Object.keys(KIND_LABEL) as HitKind[]).map((k) => html`<label><input type="checkbox" name="kind" value=${k} checked /> ${KIND_LABEL[k]}</label>`)}
          </fieldset>
          <fieldset>
            <legend>Filters</legend>
            <label>Role <select name="role"><option value="">any</option>${['user', 'assistant', 'system', 'tool'].map((r) => html`<option>${r}</option>`)}</select></label>
            <label>Memory <select name="memoryKind"><option value="">any</option><option value="long">long-term</option><option value="short">short-term</option></select></label>
            <label>Collection <input name="collection" maxlength="256" /></label>
            <label>From <input type="date" name="from" /></label>
            <label>To <input type="date" name="to" /></label>
            <label>Results <input class="narrow" type="number" name="limit" min="1" max="200" value="20" /></label>
          </fieldset>
          ${this.mode === 'hybrid'
            ? html`<fieldset>
                <legend>Fusion</legend>
                <label>Method <select name="fusion"><option value="rrf" ?selected=${(this.defaults.fusion ?? SEARCH_DEFAULTS.fusion) === 'rrf'}>Reciprocal rank</option><option value="weighted" ?selected=${(this.defaults.fusion ?? SEARCH_DEFAULTS.fusion) === 'weighted'}>Weighted scores</option></select></label>
                <label>Text weight <input type="range" name="textWeight" min="0" max="100" .value=${String(Math.round((this.defaults.textWeight ?? SEARCH_DEFAULTS.weights.text) * 100))} /></label>
              </fieldset>`
            : nothing}
        </details>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.hits === null
        ? nothing
        : this.hits.length === 0
          ? html`<p class="muted" role="status">No results.</p>`
          : html`<p class="meta" role="status">${this.hits.length} results</p>
              <ol class="hits" data-testid="hits">${this.hits.map((h) => this.renderHit(h, this.hits![0]?.score.fused ?? 0))}</ol>`}
    </section>`;
  }
}

customElements.define('mn-search', MnSearch);

declare global {
  interface HTMLElementTagNameMap {
    'mn-search': MnSearch;
  }
}
