import { MAX_CHAT_CHARS } from '@live-im/contracts';
import { requiredElement } from './elements';

/** The chat input of signed-in viewers; the text stays in the box when a send fails. */
export class SendBox {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private busy = false;
  private ready = false;

  constructor(
    root: ParentNode,
    private readonly send: (text: string) => Promise<boolean>,
  ) {
    this.form = requiredElement(root, '#send-box', HTMLFormElement);
    this.input = requiredElement(root, '#send-input', HTMLInputElement);
    this.button = requiredElement(root, '#send-button', HTMLButtonElement);
    this.input.maxLength = MAX_CHAT_CHARS;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  setVisible(visible: boolean): void {
    this.form.hidden = !visible;
  }

  /** Sending waits until the room is joined on the current connection. */
  setReady(ready: boolean): void {
    this.ready = ready;
    this.button.disabled = !ready || this.busy;
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (this.busy || !this.ready || text === '') return;
    this.busy = true;
    this.button.disabled = true;
    try {
      if (await this.send(text)) this.input.value = '';
    } finally {
      this.busy = false;
      this.button.disabled = !this.ready;
      this.input.focus();
    }
  }
}
