// What the service's handler modules share: options from the host, app settings, events, the open
// project, the SAM session, the embedding queue and fine-tuning.
import path from 'node:path';
import { officialCheckpoint, type OfficialCheckpoint } from '../download/checkpoint-download.js';
import { MaskLoopError } from '../errors.js';
import type { EmbedQueue } from '../store/embed-queue.js';
import type { Project } from '../store/project.js';
import { AppSettings } from './app-settings.js';
import type { CheckpointVariant, ChooseFilesPurpose, ChosenFiles, ProjectInfo } from './contract.js';
import type { DispatchLog } from './dispatch.js';
import { EventBus } from './event-bus.js';
import { FineTuning } from './fine-tuning.js';
import { SamSession } from './sam-session.js';

/** What the process hosting the service (Electron main, or the browser-mode server) provides. */
export interface ServiceHost {
  kind: 'desktop' | 'browser';
  versions?: { electron: string; chrome: string };
  /** Native open/save dialogs; absent in browser mode. */
  chooseFiles?: (purpose: ChooseFilesPurpose) => Promise<ChosenFiles['paths']>;
}

export interface ServiceOptions {
  host: ServiceHost;
  /** Holds settings.json and downloaded checkpoints (Electron: userData; browser mode: ~/.config/maskloop). */
  dataDir: string;
  /** Where built ONNX graphs are cached; default: the user's cache folder (see sam/model-cache.ts). */
  modelCacheDir?: string;
  /** Where and what to download for each official checkpoint; default: Meta's server, or $MASKLOOP_CHECKPOINT_MIRROR. */
  checkpointSource?: (variant: CheckpointVariant) => OfficialCheckpoint;
  log?: DispatchLog;
}

export class ServiceContext {
  readonly events = new EventBus();
  readonly settings: AppSettings;
  readonly log: DispatchLog;
  readonly sam: SamSession;
  readonly training: FineTuning;
  private openProject: Project | null = null;
  /** The project's background embedding run, when one was started. */
  embedQueue: EmbedQueue | null = null;

  constructor(readonly options: ServiceOptions) {
    this.settings = new AppSettings(path.join(options.dataDir, 'settings.json'));
    this.log = options.log ?? console;
    this.sam = new SamSession(() => this.activeCheckpointPath(), options.modelCacheDir);
    this.training = new FineTuning(this);
  }

  get project(): Project | null {
    return this.openProject;
  }

  requireProject(): Project {
    if (!this.openProject) throw new MaskLoopError('PROJECT', 'No project is open: open or create one first.');
    return this.openProject;
  }

  /** Makes `project` the open one (closing the previous), remembers it and tells every renderer. */
  setProject(project: Project | null): void {
    this.embedQueue?.cancel();
    this.embedQueue = null;
    // Its result is dropped: the run belongs to the project being closed.
    void this.training.stop();
    this.sam.forgetImages();
    this.openProject?.close();
    this.openProject = project;
    if (project) this.settings.rememberProject(project.file, project.name, new Date());
    this.events.emit('project.changed', project && projectInfo(project));
  }

  checkpointSource(variant: CheckpointVariant): OfficialCheckpoint {
    return this.options.checkpointSource?.(variant) ?? officialCheckpoint(variant, process.env.MASKLOOP_CHECKPOINT_MIRROR || undefined);
  }

  get checkpointsDir(): string {
    return path.join(this.options.dataDir, 'checkpoints');
  }

  private activeCheckpointPath(): string | null {
    const active = this.settings.activeCheckpointId;
    return this.settings.checkpoints.find((known) => known.id === active)?.path ?? null;
  }
}

export function projectInfo(project: Project): ProjectInfo {
  return {
    path: project.file,
    name: project.name,
    imageCount: project.images.count(),
    annotationCount: project.annotations.countLive(),
    categoryCount: project.categories.list().length,
  };
}
