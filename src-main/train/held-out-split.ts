// The project's fixed train / held-out split: whole images on one side, decided by a seed stored in the project settings.
import crypto from 'node:crypto';
import { z } from 'zod';
import { MaskLoopError } from '../errors.js';
import type { Project } from '../store/project.js';
import type { TrainingAnnotation } from './samples.js';
import { hashSeed } from './seeded-random.js';

/** About this share of the images is held out to decide whether a new decoder is better. */
export const HELD_OUT_FRACTION = 0.2;
/** Below these counts a held-out IoU means nothing: fine-tuning refuses and says what is missing. */
export const MIN_ANNOTATIONS = 5;
export const MIN_IMAGES = 2;

const SEED_SETTING = 'trainingSplitSeed';
const seedSchema = z.number().int().nonnegative();

export interface HeldOutSplit {
  seed: number;
  train: TrainingAnnotation[];
  heldOut: TrainingAnnotation[];
}

/** The split seed the project stores, or undefined before its first fine-tune. */
export function storedSplitSeed(project: Project): number | undefined {
  const parsed = seedSchema.safeParse(project.settings()[SEED_SETTING]);
  return parsed.success ? parsed.data : undefined;
}

/** The stored seed, or a new random one (stored only once a fine-tune succeeds, with its decoder version). */
export function splitSeedFor(project: Project): number {
  return storedSplitSeed(project) ?? crypto.randomInt(2 ** 31);
}

export function storeSplitSeed(project: Project, seed: number): void {
  if (storedSplitSeed(project) !== seed) project.updateSettings({ [SEED_SETTING]: seed });
}

/**
 * Holds out every image whose hash of (seed, image id) falls below HELD_OUT_FRACTION, so an image keeps its side as the
 * project grows and the masks of one image (often near-duplicates) never straddle the split. When that leaves a side
 * empty, the image ranked first (or last) by the same hash moves over.
 */
export function splitHeldOut(annotations: readonly TrainingAnnotation[], seed: number, heldOutFraction = HELD_OUT_FRACTION): HeldOutSplit {
  requireEnoughAnnotations(annotations);
  const rank = (imageId: number): number => hashSeed(seed, imageId) / 2 ** 32;
  const images = [...new Set(annotations.map((a) => a.imageId))].sort((a, b) => rank(a) - rank(b));
  const heldOutImages = new Set(images.filter((imageId) => rank(imageId) < heldOutFraction));
  if (heldOutImages.size === 0) heldOutImages.add(images[0]);
  if (heldOutImages.size === images.length) heldOutImages.delete(images[images.length - 1]);
  return {
    seed,
    train: annotations.filter((a) => !heldOutImages.has(a.imageId)),
    heldOut: annotations.filter((a) => heldOutImages.has(a.imageId)),
  };
}

/** Refuses, saying what is missing, when there are too few masks or images to both learn and check. */
export function requireEnoughAnnotations(annotations: readonly TrainingAnnotation[]): void {
  const images = new Set(annotations.map((a) => a.imageId)).size;
  if (annotations.length >= MIN_ANNOTATIONS && images >= MIN_IMAGES) return;
  const have = `this project has ${plural(annotations.length, 'usable mask')} on ${plural(images, 'image')}`;
  const moreMasks = MIN_ANNOTATIONS - annotations.length;
  const needed =
    moreMasks > 0 && images < MIN_IMAGES
      ? `${plural(moreMasks, 'more mask')}, on at least ${MIN_IMAGES} images in all,`
      : moreMasks > 0
        ? plural(moreMasks, 'more mask')
        : `masks on ${plural(MIN_IMAGES - images, 'more image')}`;
  throw new MaskLoopError(
    'TRAINING',
    `Fine-tuning needs at least ${MIN_ANNOTATIONS} accepted masks on at least ${MIN_IMAGES} images (most to learn from, ` +
      `those of one image or more held out to check the new decoder); ${have}. Accept ${needed} and train again.`,
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
