import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { Agent } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { ENDPOINTS_KEY, parseEndpoints, type EndpointConfig } from './chat/endpoints';
import { navigate } from './route';
import { controls, errorText, picking } from './styles';
import { attempt, formatTime, MnView, renderTask } from './view';

const text = (data: FormData, key: string) => String(data.get(key) ?? '').trim();

/**
 * Agents: list, create, edit (name, description, model endpoint, system
 * prompt, active), delete. A session is bound to an agent in its details
 * (Chats); the chat then uses the agent's endpoint and system prompt and
 * records each run as one of its executions. `#agents/<id>` selects one.
 */
export class MnAgents extends MnView {
  static override properties = {
    ...MnView.properties,
    selectedId: { attribute: false },
    confirming: { state: true },
    notice: { state: true },
    error: { state: true },
  };

  /** The agent being edited; 'new' for the create form. */
  declare selectedId: string | null;
  declare confirming: boolean;
  declare notice: string | null;
  declare error: string | null;

  constructor() {
    super();
    this.selectedId = null;
    this.confirming = false;
    this.notice = null;
    this.error = null;
  }

  static override styles = [
    controls,
    picking,
    css`
      .layout {
        display: grid;
        grid-template-columns: minmax(12rem, 1fr) minmax(0, 2fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 760px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      form.edit {
        display: grid;
        gap: 0.6rem;
      }
      form.edit label {
        display: grid;
        gap: 0.2rem;
      }
      form.edit label.check {
        display: flex;
        gap: 0.4rem;
        align-items: center;
      }
      textarea {
        min-height: 6rem;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('selectedId')) this.confirming = false;
  }

  private readonly data = new Task(this, {
    task: async ([, key]): Promise<{ agents: Agent[]; endpoints: EndpointConfig[] } | undefined> => {
      if (!key) return undefined;
      const [agents, endpoints] = await Promise.all([this.space!.agents.list({ pageSize: 200 }), this.client!.settings.get(ENDPOINTS_KEY)]);
      return { agents: agents.items, endpoints: parseEndpoints(endpoints) };
    },
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private act(action: () => Promise<unknown>, done: string | null): Promise<boolean> {
    return attempt(this, action, done);
  }

  private async save(agent: Agent | null, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const fields = {
      name: text(data, 'name'),
      description: text(data, 'description') || null,
      model: text(data, 'model') || null,
      systemPrompt: text(data, 'systemPrompt') || null,
      isActive: data.get('isActive') === 'on',
    };
    let saved: Agent | undefined;
    const ok = await this.act(async () => {
      saved = agent ? await this.space!.agents.update(agent.id, fields) : await this.space!.agents.create(fields);
    }, agent ? 'Agent saved.' : 'Agent created.');
    if (ok && saved && !agent) navigate('agents', saved.id);
  }

  private async deleteOne(agent: Agent): Promise<void> {
    if (await this.act(() => this.space!.agents.delete(agent.id), `Agent ${agent.name} deleted.`)) navigate('agents');
  }

  private renderForm(agent: Agent | null, endpoints: EndpointConfig[]) {
    const known = agent?.model ? endpoints.some((e) => e.id === agent.model) : true;
    return html`<form class="edit" aria-label=${agent ? 'Edit agent' : 'New agent'} @submit=${(e: SubmitEvent) => this.save(agent, e)}>
        <label>Name <input name="name" required maxlength="200" .value=${agent?.name ?? ''} /></label>
        <label>Description <input name="description" maxlength="2000" .value=${agent?.description ?? ''} /></label>
        <label
          >Model endpoint
          <select name="model">
            <option value="" ?selected=${!agent?.model}>The composer's choice</option>
            ${endpoints.map((e) => html`<option value=${e.id} ?selected=${e.id === agent?.model}>${e.name} · ${e.model}</option>`)}
            ${known ? nothing : html`<option value=${agent!.model!} selected>${agent!.model} (not configured)</option>`}
          </select>
        </label>
        <label>System prompt <textarea name="systemPrompt" maxlength="20000" .value=${agent?.systemPrompt ?? ''}></textarea></label>
        <label class="check"><input type="checkbox" name="isActive" .checked=${agent?.isActive ?? true} /> Active (inactive agents do not answer)</label>
        <div class="row">
          <button type="submit">${agent ? 'Save agent' : 'Create agent'}</button>
          ${agent
            ? html`<a href="#executions">Executions</a>
                <button type="button" class="danger" @click=${() => (this.confirming = true)}>Delete agent…</button>`
            : nothing}
        </div>
      </form>
      ${agent ? html`<p class="meta">Created ${formatTime(agent.createdAt)} · updated ${formatTime(agent.updatedAt)}</p>` : nothing}
      ${agent && this.confirming
        ? html`<div class="confirm" role="group" aria-label="Confirm deleting the agent">
            <p>Delete the agent “${agent.name}” and its executions? Sessions bound to it keep their conversations and lose the binding.</p>
            <div class="row">
              <button class="danger" @click=${() => this.deleteOne(agent)}>Delete agent</button>
              <button class="secondary" @click=${() => (this.confirming = false)}>Cancel</button>
            </div>
          </div>`
        : nothing}`;
  }

  override render() {
    return html`
      ${this.error ? html`<p class="card error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="meta" role="status" data-testid="agents-notice">${this.notice}</p>` : nothing}
      ${renderTask(this.data, {
        key: this.scope && scopeKey(this.scope),
        error: (e) => html`<p class="card error" role="alert">${errorText(e)}</p>`,
        complete: (data) => {
          if (!data) return nothing;
          const selected = data.agents.find((a) => a.id === this.selectedId) ?? null;
          return html`<div class="layout">
            <section class="card" aria-labelledby="agents-h">
              <h2 id="agents-h">Agents</h2>
              ${data.agents.length === 0
                ? html`<p class="muted">No agents yet.</p>`
                : html`<ul class="plain" data-testid="agents">
                    ${data.agents.map(
                      (a) => html`<li>
                        <button class="pick" aria-current=${a.id === this.selectedId ? 'true' : 'false'} @click=${() => navigate('agents', a.id)}>
                          ${a.name} <span class="meta">${a.isActive ? 'active' : 'inactive'}</span>
                        </button>
                      </li>`,
                    )}
                  </ul>`}
              <p><button class="secondary" @click=${() => navigate('agents', 'new')}>New agent</button></p>
            </section>
            <section class="card" aria-labelledby="agent-h">
              <h2 id="agent-h">${selected ? selected.name : this.selectedId === 'new' ? 'New agent' : 'Agent'}</h2>
              ${selected || this.selectedId === 'new'
                ? this.renderForm(selected, data.endpoints)
                : html`<p class="muted">Pick an agent, or create one. Bind a session to an agent in its details under Chats.</p>`}
            </section>
          </div>`;
        },
      })}
    `;
  }
}

customElements.define('mn-agents', MnAgents);

declare global {
  interface HTMLElementTagNameMap {
    'mn-agents': MnAgents;
  }
}
