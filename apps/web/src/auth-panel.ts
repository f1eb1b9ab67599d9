import { ErrorCode, type RpcErrorBody, UserRpc } from '@live-im/contracts';
import { requiredElement } from './elements';

export type AuthRequest =
  | { mode: 'login'; username: string; password: string }
  | { mode: 'register'; username: string; password: string; nickname: string };

/**
 * The sign-in / create-account form shown to guests in place of the send box. Input is checked
 * against the contract's own schemas first, so a typo is answered at once with the field's rule.
 */
export class AuthPanel {
  private readonly form: HTMLFormElement;
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly nickname: HTMLInputElement;

  constructor(
    root: ParentNode,
    private readonly submit: (request: AuthRequest) => Promise<void>,
    private readonly reject: (error: RpcErrorBody) => void,
  ) {
    this.form = requiredElement(root, '#login-form', HTMLFormElement);
    this.username = requiredElement(root, '#login-username', HTMLInputElement);
    this.password = requiredElement(root, '#login-password', HTMLInputElement);
    this.nickname = requiredElement(root, '#login-nickname', HTMLInputElement);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const submitter = event.submitter instanceof HTMLButtonElement ? event.submitter.value : 'login';
      void this.onSubmit(submitter === 'register' ? 'register' : 'login');
    });
  }

  setVisible(visible: boolean): void {
    this.form.hidden = !visible;
    if (!visible) this.password.value = '';
  }

  private async onSubmit(mode: AuthRequest['mode']): Promise<void> {
    const request = this.read(mode);
    if (request === undefined) return;
    this.setBusy(true);
    try {
      await this.submit(request);
    } finally {
      this.setBusy(false);
    }
  }

  private read(mode: AuthRequest['mode']): AuthRequest | undefined {
    const username = this.username.value.trim();
    const password = this.password.value;
    if (mode === 'login') {
      const parsed = UserRpc.login.request.safeParse({ username, password });
      if (parsed.success) return { mode, ...parsed.data };
      this.reject(invalid(parsed.error.issues));
      return undefined;
    }
    // A new account without a nickname goes by its username.
    const nickname = this.nickname.value.trim() || username;
    const parsed = UserRpc.register.request.safeParse({ username, password, nickname });
    if (parsed.success) return { mode, ...parsed.data };
    this.reject(invalid(parsed.error.issues));
    return undefined;
  }

  private setBusy(busy: boolean): void {
    this.form.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button').forEach((control) => {
      control.disabled = busy;
    });
  }
}

function invalid(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): RpcErrorBody {
  const first = issues[0];
  const field = first?.path.map(String).join('.') || 'input';
  return { code: ErrorCode.INVALID_ARGUMENT, message: `${field}: ${first?.message ?? 'invalid'}` };
}
