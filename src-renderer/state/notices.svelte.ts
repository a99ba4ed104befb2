// Messages for the person at the screen: errors from the main process (kept until dismissed) and short confirmations.

export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  text: string;
}

const CONFIRMATION_MS = 5000;

export class Notices {
  items = $state.raw<Notice[]>([]);
  private nextId = 1;

  /** Shows a failure; the main process's messages already say what went wrong and what to do. */
  error(error: unknown, doing?: string): void {
    const message = error instanceof Error ? error.message : String(error);
    this.push('error', doing ? `${doing}: ${message}` : message);
  }

  info(text: string): void {
    this.push('info', text);
  }

  success(text: string): void {
    this.push('success', text);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((notice) => notice.id !== id);
  }

  private push(kind: Notice['kind'], text: string): void {
    const notice = { id: this.nextId++, kind, text };
    // The same error five times in a row (a held key, a flood of clicks) shows once.
    const withoutRepeat = this.items.filter((item) => item.text !== text);
    this.items = [...withoutRepeat.slice(-4), notice];
    if (kind !== 'error') setTimeout(() => this.dismiss(notice.id), CONFIRMATION_MS);
  }
}
