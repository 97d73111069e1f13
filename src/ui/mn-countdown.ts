import { LitElement, html } from 'lit';

/** "Retry in N s" counting down to `until` (ms), then "You can retry now." — for a 429 with Retry-After. */
export class MnCountdown extends LitElement {
  static override properties = { until: { type: Number }, now: { state: true } };
  declare until: number;
  declare now: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.until = 0;
    this.now = Date.now();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => {
      this.now = Date.now();
      if (this.now >= this.until) clearInterval(this.timer);
    }, 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override render() {
    const left = Math.ceil((this.until - this.now) / 1000);
    return html`<span role="timer" aria-live="off" data-testid="retry-countdown">${left > 0 ? `Rate limited: retry in ${left} s.` : 'You can retry now.'}</span>`;
  }
}

customElements.define('mn-countdown', MnCountdown);

declare global {
  interface HTMLElementTagNameMap {
    'mn-countdown': MnCountdown;
  }
}
