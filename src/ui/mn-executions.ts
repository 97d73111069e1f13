import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import type { ExecutionListRequest } from '../shared/api';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { filterIds, navigate } from './route';
import { controls } from './styles';
import { formatTime, MnView, renderTask } from './view';

const PAGE_SIZE = 25;

/**
 * Agent executions (each model run of the chat is one), newest first, filtered
 * by agent, session and status. The filters are in the route:
 * `#executions/<status>/<agentId>/<sessionId>`, `all` for an unset one.
 */
export class MnExecutions extends MnView {
  static override properties = {
    ...MnView.properties,
    agentId: { attribute: false },
    sessionId: { attribute: false },
    status: { attribute: false },
    page: { state: true },
  };

  declare agentId: string;
  declare sessionId: string;
  declare status: ExecutionStatus | '';
  declare page: number;

  constructor() {
    super();
    this.agentId = '';
    this.sessionId = '';
    this.status = '';
    this.page = 1;
  }

  static override styles = [
    controls,
    css`
      .filters {
        margin-bottom: 0.75rem;
      }
      .scroll {
        overflow-x: auto;
      }
      td.error-text {
        max-width: 24rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  private readonly names = new Task(this, {
    task: async ([, key]) => {
      if (!key) return undefined;
      const [agents, sessions] = await Promise.all([this.space!.agents.list({ pageSize: 200 }), this.space!.sessions.list({ pageSize: 200 })]);
      return { agents: agents.items, sessions: sessions.items };
    },
    args: () => [this.revision, this.scope && scopeKey(this.scope)] as const,
  });

  private readonly executions = new Task(this, {
    task: async ([, key, agentId, sessionId, status, page]) => {
      if (!key) return undefined;
      const request: ExecutionListRequest = { page, pageSize: PAGE_SIZE };
      if (agentId) request.agentId = agentId;
      if (sessionId) request.sessionId = sessionId;
      if (status) request.status = status;
      return this.space!.executions.list(request);
    },
    args: () => [this.revision, this.scope && scopeKey(this.scope), this.agentId, this.sessionId, this.status, this.page] as const,
  });

  private filter(key: 'agentId' | 'sessionId' | 'status', event: Event): void {
    const value = (event.target as HTMLSelectElement).value;
    if (key === 'status') this.status = value as ExecutionStatus | '';
    else this[key] = value;
    this.page = 1;
    navigate('executions', ...filterIds([this.status, this.agentId, this.sessionId]));
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // Filters from the route (back, forward, a link) start at the first page too.
    if (changed.has('agentId') || changed.has('sessionId') || changed.has('status')) this.page = 1;
  }

  override render() {
    const names = this.names.value;
    const agentName = new Map(names?.agents.map((a) => [a.id, a.name]));
    const sessionName = new Map(names?.sessions.map((s) => [s.id, s.name]));
    return html`<section class="card" aria-labelledby="executions-h">
      <h2 id="executions-h">Executions</h2>
      <form class="row filters" aria-label="Filter executions" @submit=${(e: Event) => e.preventDefault()}>
        <label
          >Agent
          <select name="agent" .value=${this.agentId} @change=${(e: Event) => this.filter('agentId', e)}>
            <option value="">All agents</option>
            ${names?.agents.map((a) => html`<option value=${a.id} ?selected=${a.id === this.agentId}>${a.name}</option>`)}
          </select>
        </label>
        <label
          >Session
          <select name="session" .value=${this.sessionId} @change=${(e: Event) => this.filter('sessionId', e)}>
            <option value="">All sessions</option>
            ${names?.sessions.map((s) => html`<option value=${s.id} ?selected=${s.id === this.sessionId}>${s.name}</option>`)}
          </select>
        </label>
        <label
          >Status
          <select name="status" .value=${this.status} @change=${(e: Event) => this.filter('status', e)}>
            <option value="">Any status</option>
            ${EXECUTION_STATUSES.map((s) => html`<option value=${s} ?selected=${s === this.status}>${s}</option>`)}
          </select>
        </label>
      </form>
      ${renderTask(this.executions, {
        key: this.scope && scopeKey(this.scope),
        complete: (page) =>
          !page || page.total === 0
            ? html`<p class="muted">No executions${this.agentId || this.sessionId || this.status ? ' match these filters' : ' yet; every model run of the chat is recorded here'}.</p>`
            : html`<p class="meta" data-testid="executions-total">${page.total} executions</p>
                <div class="scroll" tabindex="0" role="region" aria-label="Executions table">
                  <table data-testid="executions">
                    <caption class="sr-only">Agent executions, newest first</caption>
                    <thead>
                      <tr><th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Session</th><th scope="col">Model</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Error</th></tr>
                    </thead>
                    <tbody>
                      ${page.items.map(
                        (x) => html`<tr data-status=${x.status}>
                          <td>${x.status}</td>
                          <td>${agentName.get(x.agentId) ?? x.agentId}</td>
                          <td>${x.sessionId ? (sessionName.get(x.sessionId) ?? x.sessionId) : '—'}</td>
                          <td>${typeof x.metadata['model'] === 'string' ? x.metadata['model'] : '—'}</td>
                          <td>${x.startedAt ? formatTime(x.startedAt) : '—'}</td>
                          <td>${x.finishedAt ? formatTime(x.finishedAt) : '—'}</td>
                          <td class="error-text">${x.error ?? ''}</td>
                        </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>
                <div class="row">
                  <button class="secondary" ?disabled=${!page.hasPrev} @click=${() => (this.page -= 1)}>Previous</button>
                  <span class="meta">Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))}</span>
                  <button class="secondary" ?disabled=${!page.hasNext} @click=${() => (this.page += 1)}>Next</button>
                </div>`,
      })}
      ${nothing}
    </section>`;
  }
}

customElements.define('mn-executions', MnExecutions);

declare global {
  interface HTMLElementTagNameMap {
    'mn-executions': MnExecutions;
  }
}
