// models.*: SAM checkpoints (added from a file or downloaded) and the project's fine-tuned decoder versions.
import path from 'node:path';
import { downloadFile } from '../../download/checkpoint-download.js';
import { MaskLoopError } from '../../errors.js';
import type { ModelRecord } from '../../store/models.js';
import type { CheckpointVariant, DecoderVersion, MaskLoopApi, ModelsState } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

function toDecoderVersion(record: ModelRecord): DecoderVersion {
  const heldOutIoU = record.metrics.heldOutIoU;
  return {
    id: record.id,
    parentId: record.parentId,
    createdAt: new Date(record.createdAt).toISOString(),
    heldOutIoU: typeof heldOutIoU === 'number' ? heldOutIoU : null,
    active: record.active,
  };
}

export function modelsHandlers(context: ServiceContext): MaskLoopApi['models'] {
  const downloads = new Map<CheckpointVariant, AbortController>();

  function state(): ModelsState {
    const active = context.settings.activeCheckpointId;
    const project = context.project;
    return {
      checkpoints: context.settings.checkpoints.map((known) => ({ ...known, active: known.id === active })),
      decoderVersions: project ? project.models.list('decoder').map(toDecoderVersion) : [],
      activeDecoderVersionId: project?.models.active('decoder')?.id ?? null,
    };
  }

  /** Loads the checkpoint (which validates it), makes it the active one and tells the renderers. */
  async function activate(file: string): Promise<ModelsState> {
    const model = await context.sam.load(path.resolve(file));
    context.settings.rememberCheckpoint({ id: model.id, name: model.name, path: path.resolve(file), variant: model.config?.variant ?? 'onnx' });
    context.settings.setActiveCheckpoint(model.id);
    context.events.emit('model.activated', { checkpointId: model.id, decoderVersionId: null, provider: model.provider });
    return state();
  }

  /** Swaps the decoder version in (null: the checkpoint's own) without a restart, and tells the renderers. */
  async function useDecoder(versionId: number | null): Promise<ModelsState> {
    const project = context.requireProject();
    const version = await context.sam.useDecoder(project, versionId);
    const model = await context.sam.requireModel();
    context.events.emit('model.activated', { checkpointId: model.id, decoderVersionId: version?.id ?? null, provider: model.provider });
    return state();
  }

  return {
    async list() {
      return state();
    },
    async addCheckpoint({ path: file }) {
      return activate(file);
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
        return await activate(file);
      } finally {
        downloads.delete(variant);
      }
    },
    async cancelDownload({ variant }) {
      downloads.get(variant)?.abort();
      return null;
    },
    async activateCheckpoint({ checkpointId }) {
      const known = context.settings.checkpoints.find((checkpoint) => checkpoint.id === checkpointId);
      if (!known) throw new MaskLoopError('NOT_FOUND', `No checkpoint with id ${checkpointId}: add it first.`);
      return activate(known.path);
    },
    async activateDecoder({ versionId }) {
      return useDecoder(versionId);
    },
    async rollback() {
      const active = context.requireProject().models.active('decoder');
      if (!active) throw new MaskLoopError('NOT_FOUND', "The checkpoint's own decoder is already in use: there is no older version to roll back to.");
      return useDecoder(active.parentId);
    },
  };
}
