import { ContextConsumer } from '@lit/context';
import type { Task } from '@lit/task';
import { html, LitElement } from 'lit';
import type { MnemoClient, ScopedClient } from '../client';
import type { Scope } from '../shared/models';
import { scopeKey } from '../shared/scope';
import { mnemoContext, scopeContext } from './context';
import { errorText } from './styles';

/**
 * Base of the data views: the shared client and scope from context, and a
 * `revision` that increases after every committed write, so tasks keyed on it
 * reload (also for writes made in other tabs).
 */
export class MnView extends LitElement {
  static override properties = { revision: { state: true } };
  declare revision: number;
  private unsubscribe: (() => Promise<void>) | undefined;

  protected readonly clientContext = new ContextConsumer(this, {
    context: mnemoContext,
    subscribe: true,
    callback: (client) => void this.listen(client),
  });
  protected readonly scopeContext = new ContextConsumer(this, { context: scopeContext, subscribe: true });

  constructor() {
    super();
    this.revision = 0;
  }

  get client(): MnemoClient | undefined {
    return this.clientContext.value;
  }

  get scope(): Scope | undefined {
    return this.scopeContext.value;
  }

  private handle: { key: string; space: ScopedClient } | undefined;

  /** The scoped handle for the current scope (one per scope, not one per render). */
  get space(): ScopedClient | undefined {
    const client = this.client;
    const scope = this.scope;
    if (!client || !scope) return undefined;
    const key = scopeKey(scope);
    if (this.handle?.key !== key) this.handle = { key, space: client.space(scope) };
    return this.handle.space;
  }

  private async listen(client: MnemoClient | undefined): Promise<void> {
    if (!client) return;
    await this.unsubscribe?.();
    this.unsubscribe = await client.onChange(() => {
      this.revision += 1;
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.client && !this.unsubscribe) void this.listen(this.client);
  }
}

/** Runs a view's write: clears its error and notice, then sets the notice `done` or the error. */
export async function attempt(view: { error: string | null; notice: string | null }, action: () => Promise<unknown>, done: string | null): Promise<boolean> {
  view.error = null;
  view.notice = null;
  try {
    await action();
    view.notice = done;
    return true;
  } catch (error) {
    view.error = errorText(error);
    return false;
  }
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The time a progress event says is left, for a label: ' · about 12 s left' (nothing before the first estimate). */
export function timeLeft(progress: { remainingMs?: number } | null | undefined): string {
  const ms = progress?.remainingMs;
  if (ms === undefined) return '';
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 90 ? ` · about ${seconds} s left` : ` · about ${Math.round(seconds / 60)} min left`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'unknown';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** What each task last showed its result for (see renderTask). */
const shownFor = new WeakMap<object, string>();

/**
 * Renders a view's task. While it runs again (every committed write re-runs
 * the views' tasks) the last result stays on screen, so lists, forms, the
 * text typed in them and focus do not blink away; only a run for something
 * else — another `key`: the space, the selected item — shows `loading`.
 */
export function renderTask<A extends readonly unknown[], T>(
  task: Task<A, T>,
  options: { complete: (value: T) => unknown; key?: string | null | undefined; loading?: string; error?: (error: unknown) => unknown },
): unknown {
  const key = options.key ?? '';
  return task.render({
    pending: () =>
      task.value !== undefined && shownFor.get(task) === key ? options.complete(task.value) : html`<p class="muted">${options.loading ?? 'Loading…'}</p>`,
    error: options.error ?? ((error: unknown) => html`<p class="error" role="alert">${errorText(error)}</p>`),
    complete: (value: T) => {
      shownFor.set(task, key);
      return options.complete(value);
    },
  });
}
