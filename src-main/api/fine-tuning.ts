// The service's fine-tuning: one run at a time (by hand or automatic every N corrections), its events for the
// renderers, and the running model's decoder kept in step with the version a run activates.
import { z } from 'zod';
import { MaskLoopError } from '../errors.js';
import type { SamModel } from '../sam/sam-model.js';
import type { Project } from '../store/project.js';
import type { TrainingRequest } from '../train/auto-settings.js';
import { AutoFineTune, DEFAULT_EVERY_N, type AutoFineTuneEvent } from '../train/auto-fine-tune.js';
import type { EngineName } from '../train/engine.js';
import { startFineTune, type FineTuneEvent, type FineTuneHandle, type FineTuneOptions, type FineTuneResult } from '../train/fine-tune.js';
import type { TrainingProgress as TrainerProgress } from '../train/trainer.js';
import type { TrainingFinished, TrainingProgress, TrainingStatus } from './contract.js';
import { toApiError } from './dispatch.js';
import type { ServiceContext } from './service-context.js';

/**
 * What the project's settings may hold about fine-tuning (unknown keys survive in project settings): automatic mode,
 * and training overrides applied to every run the app starts (a request's own fields win).
 */
const automaticSchema = z.object({ enabled: z.boolean(), everyN: z.number().int().min(1) });
const overridesSchema = z.object({
  steps: z.number().int().min(1).optional(),
  epochs: z.number().int().min(1).optional(),
  headsOnly: z.boolean().optional(),
  batchSize: z.number().int().min(1).optional(),
  learningRate: z.number().positive().optional(),
});
export const AUTOMATIC_SETTING = 'automaticFineTune';
export const TRAINING_SETTING = 'training';

interface Run {
  project: Project;
  handle: FineTuneHandle;
}

export class FineTuning {
  private run: Run | null = null;
  /** The automatic trainer, for the project and model it was made for. */
  private automatic: { trainer: AutoFineTune; project: Project; model: SamModel } | null = null;
  private progress: TrainingProgress | null = null;
  /** The engine the last run reported (a run's worker finds it; probing it here would block the main thread for seconds). */
  private engine: EngineName | null = null;

  constructor(private readonly context: ServiceContext) {}

  get engineName(): EngineName | null {
    return this.engine;
  }

  status(): TrainingStatus {
    const project = this.context.requireProject();
    return {
      state: this.running(project) ? 'running' : 'idle',
      engine: this.engine,
      correctionsSinceLastFineTune: project.correctionsSinceLastFineTune(),
      automatic: automaticSetting(project),
      progress: this.running(project) ? this.progress : null,
    };
  }

  /**
   * Starts a fine-tune in the background. Answers once its checks passed (too few masks, a model that cannot be
   * fine-tuned: refused here, nothing changed); how it ends arrives as `training.finished`.
   */
  async start(request: TrainingRequest): Promise<TrainingStatus> {
    const project = this.context.requireProject();
    if (this.running(project)) throw new MaskLoopError('TRAINING', 'A fine-tune is already running for this project; wait for it to finish or cancel it.');
    const model = await this.context.sam.requireModel();
    let answered = false;
    let passedChecks!: () => void;
    const checked = new Promise<void>((resolve) => (passedChecks = resolve));
    const handle = startFineTune(project, model, this.options(project, request), (event) => {
      if (!(event.type === 'stage' && event.stage === 'preparing')) passedChecks();
      this.onFineTuneEvent(project, event);
    });
    this.run = { project, handle };
    this.progress = null;
    void this.settle(project, model, handle, () => answered);
    try {
      await Promise.race([checked, handle.done]);
    } finally {
      answered = true;
    }
    return this.status();
  }

  /** Stops the run under way within one training step; nothing is stored. Resolves once it has stopped. */
  async cancel(): Promise<TrainingStatus> {
    const project = this.context.requireProject();
    await this.stop(project);
    return this.status();
  }

  async setAutomatic(enabled: boolean, everyN?: number): Promise<TrainingStatus> {
    const project = this.context.requireProject();
    const setting = { enabled, everyN: everyN ?? automaticSetting(project).everyN };
    project.updateSettings({ [AUTOMATIC_SETTING]: setting });
    this.automatic = null;
    if (enabled) this.afterAnnotationChange();
    return this.status();
  }

  /**
   * Called after every request that may change annotations: in automatic mode, starts a fine-tune once N corrections
   * piled up. Never throws (the request it follows succeeded); a failure is announced as an `error` event.
   */
  afterAnnotationChange(): void {
    try {
      this.checkAutomatic();
    } catch (error) {
      this.context.events.emit('error', toApiError('automatic fine-tuning', error, this.context.log));
    }
  }

  private checkAutomatic(): void {
    const project = this.context.project;
    const model = this.context.sam.loaded;
    if (!project || !model || this.running(project)) return;
    const setting = automaticSetting(project);
    if (!setting.enabled) return;
    const current = this.automatic;
    if (!current || current.trainer.everyN !== setting.everyN || current.project !== project || current.model !== model) {
      const trainer = new AutoFineTune(project, model, this.options(project, {}), (event) => this.onAutomaticEvent(project, model, event), setting.everyN);
      this.automatic = { trainer, project, model };
    }
    const handle = this.automatic!.trainer.check();
    if (handle) {
      this.run = { project, handle };
      this.progress = null;
    }
  }

  /** Before the project closes or the service stops: cancels its run and waits for it. */
  async stop(project: Project | null = this.context.project): Promise<void> {
    const run = this.run;
    if (!run || (project && run.project !== project)) return;
    run.handle.cancel();
    await run.handle.done.catch(() => undefined);
  }

  private running(project: Project): boolean {
    return this.run !== null && this.run.project === project;
  }

  private options(project: Project, request: TrainingRequest): FineTuneOptions {
    const overrides = overridesSchema.safeParse(project.settings()[TRAINING_SETTING]);
    const checkpoint = this.context.sam.checkpoint;
    if (!checkpoint) throw new MaskLoopError('NOT_FOUND', 'No SAM model is loaded: add or choose a checkpoint first.');
    const defined = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));
    return {
      ...(overrides.success ? overrides.data : {}),
      ...defined,
      checkpoint,
      embed: async (imagePath) => (await this.context.sam.embedder())(imagePath, new AbortController().signal),
    };
  }

  private onFineTuneEvent(project: Project, event: FineTuneEvent): void {
    if (this.context.project !== project) return;
    if (event.type === 'engine') this.engine = event.name;
    else if (event.type === 'progress') {
      this.progress = toContractProgress(event.progress);
      this.context.events.emit('training.progress', this.progress);
    } else if (event.type === 'notice') this.context.log.error(`Fine-tuning: ${event.message}`);
  }

  private onAutomaticEvent(project: Project, model: SamModel, event: AutoFineTuneEvent): void {
    if (event.type === 'started') return;
    if (event.type === 'finished' || event.type === 'failed') {
      if (this.run?.project === project) this.run = null;
      this.finish(project, model, event.type === 'finished' ? event.result : event.error);
      return;
    }
    this.onFineTuneEvent(project, event);
  }

  /** Waits for a run started by hand and reports it; a refusal the request already answered is not reported again. */
  private async settle(project: Project, model: SamModel, handle: FineTuneHandle, answered: () => boolean): Promise<void> {
    let outcome: FineTuneResult | Error;
    try {
      outcome = await handle.done;
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    if (this.run?.handle === handle) this.run = null;
    if (!(outcome instanceof Error) || answered()) this.finish(project, model, outcome);
  }

  private finish(project: Project, model: SamModel, outcome: FineTuneResult | Error): void {
    this.progress = null;
    if (this.context.project !== project) return;
    let finished: TrainingFinished;
    if (outcome instanceof Error) {
      finished = { outcome: 'failed', heldOutIoUBefore: null, heldOutIoUAfter: null, versionId: null, activated: false, message: outcome.message };
    } else {
      const { heldOutIoUBefore, heldOutIoUAfter, versionId, activated } = outcome;
      finished = { outcome: outcome.outcome, heldOutIoUBefore, heldOutIoUAfter, versionId, activated, message: null };
      if (activated && versionId !== null && this.context.sam.loaded === model) {
        this.context.sam.noteDecoderSwapped(project, versionId);
        this.context.events.emit('model.activated', { checkpointId: model.id, decoderVersionId: versionId, provider: model.provider });
      }
    }
    this.context.events.emit('training.finished', finished);
  }
}

function automaticSetting(project: Project): TrainingStatus['automatic'] {
  const stored = automaticSchema.safeParse(project.settings()[AUTOMATIC_SETTING]);
  return stored.success ? stored.data : { enabled: false, everyN: DEFAULT_EVERY_N };
}

function toContractProgress(progress: TrainerProgress): TrainingProgress {
  const { step, totalSteps, epoch, loss, samplesPerSecond, etaMs } = progress;
  return { step, totalSteps, epoch, loss, samplesPerSecond, etaMs };
}
