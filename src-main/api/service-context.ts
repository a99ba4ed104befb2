// What the service's handler modules share: options from the host, app settings, events, and the open session state.
import path from 'node:path';
import type { DispatchLog } from './dispatch.js';
import { AppSettings } from './app-settings.js';
import { officialCheckpoint, type OfficialCheckpoint } from '../download/checkpoint-download.js';
import type { CheckpointVariant, ChooseFilesPurpose, ChosenFiles } from './contract.js';
import { EventBus } from './event-bus.js';

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
  /** Where and what to download for each official checkpoint; default: Meta's server, or $MASKLOOP_CHECKPOINT_MIRROR. */
  checkpointSource?: (variant: CheckpointVariant) => OfficialCheckpoint;
  log?: DispatchLog;
}

export class ServiceContext {
  readonly events = new EventBus();
  readonly settings: AppSettings;
  readonly log: DispatchLog;

  constructor(readonly options: ServiceOptions) {
    this.settings = new AppSettings(path.join(options.dataDir, 'settings.json'));
    this.log = options.log ?? console;
  }

  checkpointSource(variant: CheckpointVariant): OfficialCheckpoint {
    return this.options.checkpointSource?.(variant) ?? officialCheckpoint(variant, process.env.MASKLOOP_CHECKPOINT_MIRROR || undefined);
  }

  get checkpointsDir(): string {
    return path.join(this.options.dataDir, 'checkpoints');
  }
}
