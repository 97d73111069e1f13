// Hash routes: every view and every selected item has a URL, so the back
// button and shared links work.
//
// Contract:
// * A route is `{ view, ids }`: `#chats/<sessionId>/<conversationId>`,
//   `#agents/<agentId>`, `#vectors/<collection>/<entryId>`, `#spaces`, …
//   Each part is URI-encoded (collections may hold any character).
// * Optional filter parts in a fixed order (`#executions/<status>/<agentId>/<sessionId>`)
//   hold `ANY` when unset; `filterIds` leaves trailing ones out and
//   `filterValue` reads one back as '' (unset).
// * `parseRoute(hash)` never throws: an unknown view becomes `chats`, a part
//   that is not valid percent-encoding is dropped with everything after it.
// * `routeHash(route)` is the inverse; `parseRoute(routeHash(r))` equals `r`.
export const VIEWS = [
  { id: 'chats', label: 'Chats' },
  { id: 'memories', label: 'Memories' },
  { id: 'documents', label: 'Documents' },
  { id: 'search', label: 'Search' },
  { id: 'vectors', label: 'Vectors' },
  { id: 'agents', label: 'Agents' },
  { id: 'executions', label: 'Executions' },
  { id: 'spaces', label: 'Spaces' },
  { id: 'import', label: 'Import' },
  { id: 'data', label: 'Data' },
  { id: 'settings', label: 'Settings' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

export interface Route {
  view: ViewId;
  ids: string[];
}

const isView = (value: string): value is ViewId => VIEWS.some((v) => v.id === value);

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#/, '').split('/');
  const head = parts.shift() ?? '';
  const ids: string[] = [];
  for (const part of parts) {
    if (part === '') break;
    try {
      ids.push(decodeURIComponent(part));
    } catch {
      break;
    }
  }
  return isView(head) ? { view: head, ids } : { view: 'chats', ids: [] };
}

export function routeHash(route: Route): string {
  return `#${[route.view, ...route.ids.map(encodeURIComponent)].join('/')}`;
}

/** Goes to a route, as a new history entry (the back button returns). */
export function navigate(view: ViewId, ...ids: Array<string | null | undefined>): void {
  const kept: string[] = [];
  for (const id of ids) {
    if (id === null || id === undefined || id === '') break;
    kept.push(id);
  }
  const hash = routeHash({ view, ids: kept });
  if (location.hash !== hash) location.hash = hash;
}

/** The part of an unset filter in a route (`#executions/all/<agentId>`). */
export const ANY = 'all';

/** Route parts for filters in a fixed order: unset ones become `ANY`, trailing unset ones are left out. */
export function filterIds(values: ReadonlyArray<string | null | undefined>): string[] {
  const ids = values.map((v) => (v ? v : ANY));
  while (ids.at(-1) === ANY) ids.pop();
  return ids;
}

/** A filter part of a route: '' when absent or `ANY`. */
export function filterValue(id: string | undefined): string {
  return id === undefined || id === ANY ? '' : id;
}

/** A page number part of a route (`#memories/short/3`): 1 when absent or not a positive integer. */
export function pageValue(id: string | undefined): number {
  const n = Number(id);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** True when a key press belongs to a text field (shortcuts stay out of its way). */
export function isTyping(path: readonly EventTarget[]): boolean {
  const first = path[0];
  if (!(first instanceof HTMLElement)) return false;
  if (first.isContentEditable) return true;
  const tag = first.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (first as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
}
