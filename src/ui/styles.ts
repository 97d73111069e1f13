import { css } from 'lit';

/** Controls shared by every view. */
export const controls = css`
  :host {
    display: block;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    background: var(--mn-accent);
    color: var(--mn-accent-text);
    border: 1px solid transparent;
    border-radius: 8px;
    padding: 0.45rem 0.9rem;
    cursor: pointer;
  }
  /* Progress bars in the theme's colours: the browsers' own track stays light in a dark theme (Firefox). */
  progress {
    appearance: none;
    height: 0.6rem;
    border: 1px solid var(--mn-border);
    border-radius: 999px;
    background: var(--mn-surface-2);
    overflow: hidden;
    vertical-align: middle;
  }
  progress::-webkit-progress-bar {
    background: var(--mn-surface-2);
  }
  progress::-webkit-progress-value {
    background: var(--mn-accent);
  }
  progress::-moz-progress-bar {
    background: var(--mn-accent);
  }
  button.secondary {
    background: var(--mn-surface-2);
    color: var(--mn-text);
    border-color: var(--mn-border);
  }
  button.danger {
    background: transparent;
    color: var(--mn-danger);
    border-color: var(--mn-danger);
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  input,
  select,
  textarea {
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: 8px;
    padding: 0.45rem 0.6rem;
    min-width: 0;
  }
  /* A file chooser has a fixed intrinsic width: on a phone it wraps under its label instead of widening the page. */
  label:has(> input[type='file']) {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem;
    max-width: 100%;
  }
  input[type='file'] {
    max-width: 100%;
  }
  :focus-visible {
    outline: 3px solid var(--mn-focus);
    outline-offset: 2px;
  }
  .card {
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: var(--mn-radius);
    padding: 0.9rem;
  }
  .muted {
    color: var(--mn-muted);
  }
  .row {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    flex-wrap: wrap;
  }
  .error {
    color: var(--mn-danger);
  }
  h2 {
    font-size: 1.1rem;
    margin: 0 0 0.6rem;
  }
  ul.plain {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.25rem 0.4rem;
    border-bottom: 1px solid var(--mn-border);
  }
  td.n {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  input.narrow {
    width: 5rem;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  time,
  .meta {
    font-size: 0.8rem;
    color: var(--mn-muted);
  }
`;

/** Lists of selectable items (sessions, agents, collections) and inline delete confirmations. */
export const picking = css`
  li button.pick {
    width: 100%;
    text-align: left;
    background: transparent;
    color: var(--mn-text);
    border: 1px solid transparent;
    padding: 0.45rem 0.5rem;
    overflow-wrap: anywhere;
  }
  li button.pick[aria-current='true'] {
    background: var(--mn-surface-2);
    border-color: var(--mn-border);
  }
  .confirm {
    border: 1px solid var(--mn-danger);
    border-radius: 8px;
    padding: 0.5rem;
    margin-top: 0.5rem;
  }
`;

export function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return 'Something went wrong';
}
