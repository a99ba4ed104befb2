// A project's fine-tuned decoder versions: listing them, and making one (or the checkpoint's own) the decoder in use.
import { MaskLoopError } from '../errors.js';
import { openCheckpoint } from '../sam/checkpoint/open-checkpoint.js';
import type { StateDict } from '../sam/checkpoint/state-dict.js';
import type { SamModel } from '../sam/sam-model.js';
import type { ModelRecord } from '../store/models.js';
import type { Project } from '../store/project.js';
import { decodeDecoderWeights } from './decoder-weights-codec.js';

export interface DecoderVersionSummary {
  id: number;
  name: string;
  /** The version it was fine-tuned from, or the checkpoint's row for a first fine-tune. */
  parentId: number | null;
  /** ms since the epoch. */
  createdAt: number;
  active: boolean;
  /** Held-out mean IoU when it was trained, and of the decoder in use then. */
  heldOutIoU: number | null;
  heldOutIoUBefore: number | null;
  /** The image encoder (SamModel.id) whose embeddings it was trained on: it works only with that checkpoint. */
  encoderId: string | null;
  runId: number | null;
}

export function listDecoderVersions(project: Project): DecoderVersionSummary[] {
  return project.models.list('decoder').map(summary);
}

function summary(record: ModelRecord): DecoderVersionSummary {
  const number = (key: string): number | null => (typeof record.metrics[key] === 'number' ? (record.metrics[key] as number) : null);
  return {
    id: record.id,
    name: record.name,
    parentId: record.parentId,
    createdAt: record.createdAt,
    active: record.active,
    heldOutIoU: number('heldOutIoU'),
    heldOutIoUBefore: number('heldOutIoUBefore'),
    encoderId: typeof record.metrics.encoderId === 'string' ? record.metrics.encoderId : null,
    runId: number('runId'),
  };
}

/** Refuses a decoder version trained on another encoder's embeddings: its masks would be meaningless. */
function requireSameEncoder(version: DecoderVersionSummary, model: SamModel, what: string): void {
  if (version.encoderId !== null && version.encoderId !== model.id) {
    throw new MaskLoopError(
      'MODEL_MISMATCH',
      `${what} (decoder version ${version.id}) was fine-tuned for the image encoder ${version.encoderId}, but the loaded checkpoint is ` +
        `${model.id} (${model.name}). Load the checkpoint it was trained with, or go back to the checkpoint's own decoder ` +
        '(maskloop models P --activate base) to fine-tune this one from the start.',
    );
  }
}

/** The project's active decoder version after checking it belongs to `model`'s encoder; undefined when none is active. */
export function requireDecoderForModel(project: Project, model: SamModel): DecoderVersionSummary | undefined {
  const active = project.models.active('decoder');
  if (!active) return undefined;
  const version = summary(active);
  requireSameEncoder(version, model, "The project's decoder in use");
  return version;
}

/** A stored version's weights (prompt_encoder.* and mask_decoder.*, official names). */
export function decoderVersionWeights(project: Project, versionId: number): StateDict {
  const record = project.models.require(versionId);
  if (record.kind !== 'decoder') throw new MaskLoopError('INVALID_ARGUMENT', `Model ${versionId} is a checkpoint, not a fine-tuned decoder version.`);
  return decodeDecoderWeights(project.models.weights(versionId), `decoder version ${versionId}`);
}

/** Builds the version's ONNX decoder into the running model, then records it as the project's active decoder. */
export async function swapInDecoder(project: Project, model: SamModel, versionId: number, weights: StateDict): Promise<void> {
  await model.swapDecoder(weights);
  project.models.activate(versionId);
}

/**
 * Makes `versionId` the decoder in use, in the project and in the running model, without a restart. null (or the id
 * of the checkpoint's own row) goes back to the checkpoint's decoder. Rolling back is activating an older version.
 */
export async function activateDecoder(project: Project, model: SamModel, versionId: number | null, options: { checkpoint: string }): Promise<DecoderVersionSummary | null> {
  if (versionId === null || project.models.require(versionId).kind === 'checkpoint') {
    const checkpoint = await openCheckpoint(options.checkpoint);
    try {
      await model.swapDecoder(checkpoint);
    } finally {
      checkpoint.close();
    }
    project.models.deactivate('decoder');
    return null;
  }
  const version = summary(project.models.require(versionId));
  requireSameEncoder(version, model, 'That version');
  await swapInDecoder(project, model, versionId, decoderVersionWeights(project, versionId));
  return { ...version, active: true };
}

/**
 * For a freshly loaded model on an opened project: swaps in the project's active decoder version, if there is one.
 * Returns it, or undefined when the checkpoint's own decoder stays in use.
 */
export async function applyActiveDecoder(project: Project, model: SamModel): Promise<DecoderVersionSummary | undefined> {
  const active = requireDecoderForModel(project, model);
  if (active) await model.swapDecoder(decoderVersionWeights(project, active.id));
  return active;
}
