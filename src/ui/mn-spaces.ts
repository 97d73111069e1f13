import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { TableCounts } from '../shared/api';
import type { Scope, Space } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { MEMORY_SETTING, spaceMemory } from './chat/memory';
import { controls, picking } from './styles';
import { attempt, MnView, renderTask } from './view';

type Row = Space & { counts: TableCounts | null; memory: boolean };

const KINDS = [
  ['sessions', 'session', 'sessions'],
  ['conversations', 'conversation', 'conversations'],
  ['messages', 'message', 'messages'],
  ['memories', 'memory', 'memories'],
  ['vectorEntries', 'vector entry', 'vector entries'],
  ['contents', 'document', 'documents'],
  ['agents', 'agent', 'agents'],
  ['agentExecutions', 'execution', 'executions'],
  ['settings', 'setting', 'settings'],
] as const;

/** "1 session, 3 messages": the kinds a space holds, in words with the right number. */
export function countSummary(counts: TableCounts | null): string {
  if (!counts) return '';
  return KINDS.filter(([key]) => counts[key] > 0)
    .map(([key, one, many]) => `${counts[key].toLocaleString()} ${counts[key] === 1 ? one : many}`)
    .join(', ');
}

/** What deleting a space removes, in words (only the kinds it holds). */
export function removalSummary(counts: TableCounts | null): string {
  const summary = countSummary(counts);
  return summary === '' ? 'It holds nothing yet.' : `This removes ${summary}.`;
}

/**
 * Spaces: list with counts, create, rename, switch, delete (after a confirmation naming what goes),
 * and each space's memory default for its chats (a conversation's own switch overrides it).
 */
export class MnSpaces extends MnView {
  static override properties = {
    ...MnView.properties,
    renaming: { state: true },
    confirming: { state: true },
    notice: { state: true },
    error: { state: true },
  };

  declare renaming: string | null;
  declare confirming: string | null;
  declare notice: string | null;
  declare error: string | null;

  constructor() {
    super();
    this.renaming = null;
    this.confirming = null;
    this.notice = null;
    this.error = null;
  }

  static override styles = [
    controls,
    picking,
    css`
      li {
        border-bottom: 1px solid var(--mn-border);
        padding: 0.6rem 0;
        display: grid;
        gap: 0.35rem;
      }
      .memory {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.6rem;
        align-items: baseline;
      }
      .name {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      form.create {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
        margin-top: 1rem;
      }
      form.create label {
        display: grid;
        gap: 0.2rem;
      }
    `,
  ];

  private readonly spaces = new Task(this, {
    task: async ([, client]): Promise<Row[]> => {
      if (!client) return [];
      const [page, stats] = await Promise.all([client.spaces.list({ pageSize: 500 }), client.stats()]);
      const counts = new Map(stats.perSpace.map((p) => [scopeKey(p), p.counts]));
      const memory = await Promise.all(page.items.map(async (space) => spaceMemory(await client.space({ userId: space.userId, spaceId: space.spaceId }).settings.get(MEMORY_SETTING))));
      return page.items.map((space, i) => ({ ...space, counts: counts.get(scopeKey(space)) ?? null, memory: memory[i]! }));
    },
    args: () => [this.revision, this.client] as const,
  });

  private act(action: () => Promise<unknown>, done: string | null): Promise<boolean> {
    return attempt(this, action, done);
  }

  private isCurrent(scope: Scope): boolean {
    return this.scope !== undefined && scopeKey(this.scope) === scopeKey(scope);
  }

  private switchTo(scope: Scope): void {
    this.dispatchEvent(new CustomEvent<Scope>('mn-switch-scope', { detail: { userId: scope.userId, spaceId: scope.spaceId }, bubbles: true, composed: true }));
    this.notice = `Switched to ${scope.userId} / ${scope.spaceId}.`;
  }

  private async create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const userId = String(data.get('userId') ?? '').trim();
    const spaceId = String(data.get('spaceId') ?? '').trim();
    const name = String(data.get('name') ?? '').trim();
    if (await this.act(() => this.client!.spaces.create({ userId, spaceId, ...(name ? { name } : {}) }), `Space ${spaceId} created.`)) form.reset();
  }

  private async rename(space: Space, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '').trim();
    if (await this.act(() => this.client!.spaces.rename({ userId: space.userId, spaceId: space.spaceId }, name), 'Space renamed.')) this.renaming = null;
  }

  private async deleteOne(space: Space): Promise<void> {
    const current = this.isCurrent(space);
    if (await this.act(() => this.client!.spaces.delete({ userId: space.userId, spaceId: space.spaceId }), `Space ${space.spaceId} deleted.`)) {
      this.confirming = null;
      if (current) this.switchTo({ userId: space.userId, spaceId: 'default' });
    }
  }

  /** The space's default for its chats: off is stored as `chat.memory: false`; on removes the setting. */
  private setMemory(space: Row, on: boolean): Promise<boolean> {
    const settings = this.client!.space({ userId: space.userId, spaceId: space.spaceId }).settings;
    return this.act(() => (on ? settings.delete(MEMORY_SETTING) : settings.set(MEMORY_SETTING, false)), `Memory ${on ? 'on' : 'off'} in the chats of ${space.name}.`);
  }

  private renderSpace(space: Row) {
    const key = scopeKey(space);
    const c = space.counts;
    return html`<li data-space=${space.spaceId}>
      ${this.renaming === key
        ? html`<form class="row" aria-label="Rename space" @submit=${(e: SubmitEvent) => this.rename(space, e)}>
            <label>New name <input name="name" .value=${space.name} required maxlength="200" /></label>
            <button type="submit">Save name</button>
            <button type="button" class="secondary" @click=${() => (this.renaming = null)}>Cancel</button>
          </form>`
        : html`<span class="name">${space.name}</span>`}
      <span class="meta"
        >${space.userId} / ${space.spaceId}${this.isCurrent(space) ? ' · current' : ''} ·
        ${countSummary(c) || 'empty'}</span
      >
      <div class="memory">
        <label><input type="checkbox" role="switch" .checked=${space.memory} aria-label="Memory in chats of ${space.name}"
          @change=${(e: Event) => this.setMemory(space, (e.target as HTMLInputElement).checked)} /> Memory in chats</label>
        <span class="meta">${space.memory
          ? 'On: answers recall memories, documents and earlier conversations, and may learn new memories.'
          : 'Off: answers recall and learn nothing.'} A conversation’s own switch overrides this default.</span>
      </div>
      <div class="row">
        <button class="secondary" ?disabled=${this.isCurrent(space)} @click=${() => this.switchTo(space)} aria-label="Switch to ${space.name}">Switch</button>
        <button class="secondary" @click=${() => (this.renaming = key)} aria-label="Rename ${space.name}">Rename</button>
        <button class="danger" @click=${() => (this.confirming = key)} aria-label="Delete ${space.name}…">Delete…</button>
      </div>
      ${this.confirming === key
        ? html`<div class="confirm" role="group" aria-label="Confirm deleting ${space.name}">
            <p data-testid="delete-summary">Delete the space “${space.name}” (${space.userId} / ${space.spaceId}) for good? ${removalSummary(c)}</p>
            <div class="row">
              <button class="danger" @click=${() => this.deleteOne(space)}>Delete space</button>
              <button class="secondary" @click=${() => (this.confirming = null)}>Cancel</button>
            </div>
          </div>`
        : nothing}
    </li>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="spaces-h">
      <h2 id="spaces-h">Spaces</h2>
      <p class="meta">Every row belongs to one space of one user. A space appears here once something is stored in it.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      ${renderTask(this.spaces, {
        complete: (rows) =>
          rows.length === 0
            ? html`<p class="muted">No spaces yet.</p>`
            : html`<ul class="plain" data-testid="spaces">${rows.map((r) => this.renderSpace(r))}</ul>`,
      })}
      <form class="create" aria-label="New space" @submit=${this.create}>
        <label>User <input name="userId" required maxlength="256" .value=${this.scope?.userId ?? 'local'} /></label>
        <label>Space id <input name="spaceId" required maxlength="256" /></label>
        <label>Name <input name="name" maxlength="200" /></label>
        <button type="submit">Create space</button>
      </form>
    </section>`;
  }
}

customElements.define('mn-spaces', MnSpaces);

declare global {
  interface HTMLElementTagNameMap {
    'mn-spaces': MnSpaces;
  }
}
