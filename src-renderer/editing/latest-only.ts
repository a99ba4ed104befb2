// Coalesces fast-changing requests (a prediction per click): one in flight at a time, only the newest
// waiting one is sent next, and an answer is delivered only if no newer request was made meanwhile.

export interface LatestOnlyHandlers<Input, Output> {
  run(input: Input): Promise<Output>;
  deliver(output: Output, input: Input): void;
  fail(error: unknown, input: Input): void;
}

export class LatestOnly<Input, Output> {
  private inFlight = false;
  private waiting: { input: Input } | null = null;
  /** Bumped by every submit and reset, so stale answers can be recognised. */
  private generation = 0;

  constructor(private readonly handlers: LatestOnlyHandlers<Input, Output>) {}

  get busy(): boolean {
    return this.inFlight || this.waiting !== null;
  }

  submit(input: Input): void {
    this.generation++;
    this.waiting = { input };
    if (!this.inFlight) void this.pump();
  }

  /** Forgets the waiting request and ignores the answer of the one in flight. */
  reset(): void {
    this.generation++;
    this.waiting = null;
  }

  private async pump(): Promise<void> {
    while (this.waiting) {
      const { input } = this.waiting;
      this.waiting = null;
      const generation = this.generation;
      this.inFlight = true;
      try {
        const output = await this.handlers.run(input);
        if (generation === this.generation) this.handlers.deliver(output, input);
      } catch (error) {
        if (generation === this.generation) this.handlers.fail(error, input);
      } finally {
        this.inFlight = false;
      }
    }
  }
}
