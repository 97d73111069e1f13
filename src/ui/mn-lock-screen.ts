import { LitElement, css, html, nothing } from 'lit';
import type { MnemoClient } from '../client';
import { controls, errorText } from './styles';

/** Shown instead of the views while the database is encrypted and locked: unlocks it with the passphrase. */
export class MnLockScreen extends LitElement {
  static override properties = { client: { attribute: false }, error: { state: true }, busy: { state: true } };
  declare client: MnemoClient | undefined;
  declare error: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.error = null;
    this.busy = false;
  }

  static override styles = [
    controls,
    css`
      form {
        max-width: 28rem;
        margin: 3rem auto;
        display: grid;
        gap: 0.75rem;
      }
    `,
  ];

  private async unlock(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const passphrase = String(new FormData(form).get('passphrase') ?? '');
    this.busy = true;
    this.error = null;
    try {
      await this.client!.encryption.unlock(passphrase);
      form.reset();
      this.dispatchEvent(new CustomEvent('mn-encryption-changed', { bubbles: true, composed: true }));
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      <form class="card" @submit=${this.unlock} aria-labelledby="lock-h">
        <h2 id="lock-h">This database is locked</h2>
        <p>Its data is encrypted on this device. Enter the passphrase to open it; nothing is read or changed until you do.</p>
        <label>Passphrase <input name="passphrase" type="password" autocomplete="current-password" required autofocus /></label>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Unlocking…' : 'Unlock'}</button>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      </form>
    `;
  }
}

customElements.define('mn-lock-screen', MnLockScreen);

declare global {
  interface HTMLElementTagNameMap {
    'mn-lock-screen': MnLockScreen;
  }
}
