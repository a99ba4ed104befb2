// models.*: SAM checkpoints (added from a file or downloaded) and the project's decoder versions.
import path from 'node:path';
import { MaskLoopError } from '../../errors.js';
import { downloadFile } from '../../download/checkpoint-download.js';
import type { CheckpointVariant, MaskLoopApi, ModelsState } from '../contract.js';
import type { ServiceContext } from '../service-context.js';
import { notAvailable } from './unavailable.js';

export function modelsHandlers(context: ServiceContext): MaskLoopApi['models'] {
  const downloads = new Map<CheckpointVariant, AbortController>();

  function state(): ModelsState {
    const active = context.settings.activeCheckpointId;
    return {
      checkpoints: context.settings.checkpoints.map((known) => ({ ...known, active: known.id === active })),
      decoderVersions: [],
      activeDecoderVersionId: null,
    };
  }

  return {
    async list() {
      return state();
    },
    async addCheckpoint() {
      throw notAvailable('the SAM checkpoint reader');
    },
    async download({ variant }) {
      if (downloads.has(variant)) {
        throw new MaskLoopError('DOWNLOAD', `The ${variant} checkpoint is already downloading; wait for it or cancel it.`);
      }
      const controller = new AbortController();
      downloads.set(variant, controller);
      const official = context.checkpointSource(variant);
      try {
        const file = await downloadFile(official, path.join(context.checkpointsDir, official.fileName), {
          signal: controller.signal,
          onProgress: (received, total) => context.events.emit('download.progress', { variant, received, total }),
        });
        // Official files are known by hash, so the id is the one SamModel derives from the file.
        context.settings.rememberCheckpoint({ id: `${variant}:${official.sha256.slice(0, 16)}`, name: official.fileName, path: file, variant });
        return state();
      } finally {
        downloads.delete(variant);
      }
    },
    async cancelDownload({ variant }) {
      downloads.get(variant)?.abort();
      return null;
    },
    async activateCheckpoint() {
      throw notAvailable('the SAM model loader');
    },
    async activateDecoder() {
      throw notAvailable('the project store and decoder versions');
    },
    async rollback() {
      throw notAvailable('the project store and decoder versions');
    },
  };
}
