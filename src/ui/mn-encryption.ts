import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { controls, errorText } from './styles';
import { MnView, renderTask } from './view';

type Action = 'enable' | 'change' | 'disable';

/** The Data view's encryption section: status, enable, change the passphrase, remove, lock now. */
export class MnEncryption extends MnView {
  static override properties = { ...MnView.properties, notice: { state: true }, busy: { state: true } };
  declare notice: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.notice = null;
    this.busy = false;
  }

  static override styles = [
    controls,
    css`
      form {
        display: grid;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
    `,
  ];

  private readonly status = new Task(this, {
    task: async ([, client]) => client!.encryption.status(),
    args: () => [this.revision, this.client] as const,
  });

  private changed(): void {
    this.dispatchEvent(new CustomEvent('mn-encryption-changed', { bubbles: true, composed: true }));
    this.revision += 1;
  }

  private async run(action: Action | 'lock', event?: SubmitEvent): Promise<void> {
    event?.preventDefault();
    const form = event?.target as HTMLFormElement | undefined;
    const data = form ? new FormData(form) : null;
    const field = (name: string) => String(data?.get(name) ?? '');
    const encryption = this.client!.encryption;
    if ((action === 'enable' || action === 'change') && field('next') !== field('confirm')) {
      this.notice = 'The two new passphrases differ.';
      return;
    }
    if (action === 'disable' && !confirm('Store this database unencrypted on this device again?')) return;
    this.busy = true;
    this.notice = action === 'enable' ? 'Encrypting… (the database is copied, verified, then swapped)' : null;
    try {
      if (action === 'enable') await encryption.enable(field('next'));
      else if (action === 'change') await encryption.change(field('current'), field('next'));
      else if (action === 'disable') await encryption.disable(field('current'));
      else await encryption.lock();
      form?.reset();
      this.notice = { enable: 'Encrypted.', change: 'Passphrase changed.', disable: 'Encryption removed.', lock: 'Locked.' }[action];
      this.changed();
    } catch (error) {
      this.notice = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  private renderForm(action: Action, current: boolean, next: boolean, label: string) {
    return html`
      <form @submit=${(e: SubmitEvent) => this.run(action, e)} aria-label=${label}>
        ${current ? html`<label>Current passphrase <input name="current" type="password" autocomplete="current-password" required /></label>` : nothing}
        ${next
          ? html`<label>New passphrase <input name="next" type="password" autocomplete="new-password" required minlength="8" /></label>
              <label>Repeat it <input name="confirm" type="password" autocomplete="new-password" required minlength="8" /></label>`
          : nothing}
        <button type="submit" class=${action === 'disable' ? 'danger' : ''} ?disabled=${this.busy}>${label}</button>
      </form>
    `;
  }

  override render() {
    return html`
      <section class="card" aria-labelledby="encryption-h">
        <h2 id="encryption-h">Encryption</h2>
        ${renderTask(this.status, {
          loading: 'Reading encryption status…',
          complete: (status) =>
            !status.available
              ? html`<p class="muted">In-memory database: nothing is stored on this device, so there is nothing to encrypt.</p>`
              : status.encrypted
                ? html`
                    <p data-testid="encryption-status">Encrypted (${status.cipher}; passphrase through ${status.kdf?.name}, ${status.kdf?.iterations.toLocaleString()} iterations).</p>
                    <p><button class="secondary" ?disabled=${this.busy} @click=${() => this.run('lock')}>Lock now</button></p>
                    ${this.renderForm('change', true, true, 'Change passphrase')}
                    ${this.renderForm('disable', true, false, 'Remove encryption')}
                  `
                : html`
                    <p data-testid="encryption-status">Not encrypted: anyone with access to this browser profile can read the file.</p>
                    ${this.renderForm('enable', false, true, 'Encrypt with a passphrase')}
                  `,
        })}
        <p class="muted">
          Protected: every message, memory, document and index entry in the database, its journal and its backups, and
          exports unless you ask for a plain copy. Not protected: the file sizes, the database's name in the storage
          pool's header, and data while the database is unlocked. A forgotten passphrase cannot be recovered.
        </p>
        ${this.notice ? html`<p role="status">${this.notice}</p>` : nothing}
      </section>
    `;
  }
}

customElements.define('mn-encryption', MnEncryption);

declare global {
  interface HTMLElementTagNameMap {
    'mn-encryption': MnEncryption;
  }
}
