// Fine-tuning as the annotator sees it: corrections since the last run, the run's progress and loss,
// before/after held-out IoU, automatic mode, and the decoder versions to activate or roll back.
import { ApiCallError, type MaskLoopClient } from '../../src-main/api/client.js';
import type { ModelsState, TrainingFinished, TrainingProgress, TrainingStatus } from '../../src-main/api/contract.js';
import type { Notices } from './notices.svelte.js';

/** Loss points kept for the plot; older ones are thinned to every other one. */
const MAX_LOSS_POINTS = 600;

export class TrainingState {
  status = $state.raw<TrainingStatus | null>(null);
  /** Why fine-tuning cannot run in this build (the main process's NOT_AVAILABLE message), else null. */
  unavailable = $state<string | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<number[]>([]);
  finished = $state.raw<TrainingFinished | null>(null);
  models = $state.raw<ModelsState | null>(null);
  starting = $state(false);

  running = $derived(this.status?.state === 'running' || this.progress !== null);
  corrections = $derived(this.status?.correctionsSinceLastFineTune ?? 0);

  constructor(
    private readonly api: MaskLoopClient,
    private readonly notices: Notices,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.status = await this.api.training.status();
      this.unavailable = null;
    } catch (error) {
      if (!this.noteUnavailable(error)) this.notices.error(error, 'Reading the training status');
    }
    try {
      this.models = await this.api.models.list();
    } catch (error) {
      this.notices.error(error, 'Reading the model versions');
    }
  }

  async start(): Promise<void> {
    this.starting = true;
    try {
      this.losses = [];
      this.finished = null;
      this.status = await this.api.training.start({});
      this.unavailable = null;
    } catch (error) {
      this.noteUnavailable(error);
      this.notices.error(error, 'Fine-tuning could not start');
    } finally {
      this.starting = false;
    }
  }

  async cancel(): Promise<void> {
    try {
      this.status = await this.api.training.cancel();
    } catch (error) {
      this.notices.error(error, 'Cancelling the fine-tune');
    }
  }

  async toggleAutomatic(): Promise<void> {
    const enabled = !(this.status?.automatic.enabled ?? false);
    try {
      this.status = await this.api.training.setAutomatic({ enabled });
      this.notices.info(enabled ? `Automatic fine-tuning on: every ${this.status.automatic.everyN} corrections.` : 'Automatic fine-tuning off.');
    } catch (error) {
      this.noteUnavailable(error);
      this.notices.error(error, 'Switching automatic fine-tuning');
    }
  }

  async activate(versionId: number | null): Promise<void> {
    try {
      this.models = await this.api.models.activateDecoder({ versionId });
    } catch (error) {
      this.notices.error(error, 'Activating the decoder version');
    }
  }

  async rollback(): Promise<void> {
    try {
      this.models = await this.api.models.rollback();
    } catch (error) {
      this.notices.error(error, 'Rolling back the decoder');
    }
  }

  onProgress(progress: TrainingProgress): void {
    this.progress = progress;
    const losses = this.losses.length >= MAX_LOSS_POINTS ? this.losses.filter((_, i) => i % 2 === 0) : this.losses;
    this.losses = [...losses, progress.loss];
  }

  onFinished(finished: TrainingFinished): void {
    this.finished = finished;
    this.progress = null;
    if (finished.outcome === 'failed') this.notices.error(finished.message ?? 'Fine-tuning failed.');
    else if (finished.outcome === 'completed') {
      this.notices.success(finished.activated ? 'Fine-tuned decoder is now in use.' : 'Fine-tune finished; the decoder in use stays (it scored better).');
    }
    void this.refresh();
  }

  private noteUnavailable(error: unknown): boolean {
    if (!(error instanceof ApiCallError) || error.code !== 'NOT_AVAILABLE') return false;
    this.unavailable = error.message;
    return true;
  }
}
