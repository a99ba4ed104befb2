// Automatic mode: a fine-tune starts in the background once N new or corrected annotations have piled up since the last one.
import type { SamModel } from '../sam/sam-model.js';
import type { Project } from '../store/project.js';
import { isFineTuning, startFineTune, type FineTuneEvent, type FineTuneHandle, type FineTuneOptions, type FineTuneResult } from './fine-tune.js';

export const DEFAULT_EVERY_N = 25;

export type AutoFineTuneEvent =
  | { type: 'started'; corrections: number }
  | FineTuneEvent
  | { type: 'finished'; result: FineTuneResult }
  | { type: 'failed'; error: Error };

export class AutoFineTune {
  private current: FineTuneHandle | undefined;
  /** History position of the last automatic attempt that did not succeed: the next waits for N more corrections after it. */
  private lastUnsuccessfulCursor: number | undefined;

  constructor(
    private readonly project: Project,
    private readonly model: SamModel,
    private readonly options: FineTuneOptions,
    private readonly onEvent: (event: AutoFineTuneEvent) => void,
    readonly everyN = DEFAULT_EVERY_N,
  ) {}

  get running(): FineTuneHandle | undefined {
    return this.current;
  }

  /** Corrections still needed before the next automatic fine-tune starts (0: due). */
  remaining(): number {
    const sinceSuccess = this.project.correctionsSinceLastFineTune();
    const sinceAttempt = this.lastUnsuccessfulCursor === undefined ? sinceSuccess : this.project.history.countCorrectionsAfter(this.lastUnsuccessfulCursor);
    return Math.max(0, this.everyN - Math.min(sinceSuccess, sinceAttempt));
  }

  /**
   * Call after each annotation change: starts a fine-tune in the background when one is due and none is running
   * (also none started by hand). Returns the handle of a fine-tune it started.
   */
  check(): FineTuneHandle | undefined {
    if (this.current || isFineTuning(this.project) || this.remaining() > 0) return undefined;
    const corrections = this.project.correctionsSinceLastFineTune();
    const cursor = this.project.history.latestId();
    this.onEvent({ type: 'started', corrections });
    const handle = startFineTune(this.project, this.model, this.options, (event) => this.onEvent(event));
    this.current = handle;
    void handle.done.then(
      (result) => {
        if (result.outcome !== 'completed') this.lastUnsuccessfulCursor = cursor;
        this.onEvent({ type: 'finished', result });
      },
      (error: unknown) => {
        this.lastUnsuccessfulCursor = cursor;
        this.onEvent({ type: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
      },
    ).finally(() => {
      if (this.current === handle) this.current = undefined;
    });
    return handle;
  }

  /** Cancels an automatic fine-tune under way; resolves when it has stopped. */
  async stop(): Promise<void> {
    const handle = this.current;
    if (!handle) return;
    handle.cancel();
    await handle.done.catch(() => undefined);
  }
}
