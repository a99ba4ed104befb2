// The image on the canvas: its display pyramid, whether SAM's embedding of it is ready, and its
// annotations (decoded overlays, selection, hidden ones, relabel, delete).
import type { MaskLoopClient } from '../../src-main/api/client.js';
import type { Annotation, EmbeddingState, ImageInfo } from '../../src-main/api/contract.js';
import type { PointXY } from '../canvas/geometry.js';
import { annotationAt } from '../canvas/hit-test.js';
import { ImagePyramid } from '../canvas/image-pyramid.js';
import { OverlayCache } from '../canvas/overlay-cache.js';
import type { Notices } from './notices.svelte.js';

/** 'failed': the embedding could not be made; the reason is in `embeddingProblem`. */
export type EmbeddingView = EmbeddingState | 'unknown' | 'failed';

export interface ImageStateHooks {
  /** An image's status or annotation count changed on the main side. */
  imageChanged(imageId: number): void;
}

export class ImageState {
  image = $state.raw<ImageInfo | null>(null);
  pyramid = $state.raw<ImagePyramid | null>(null);
  /** Bumped as display tiles arrive, so the canvas redraws. */
  tilesReady = $state(0);
  embedding = $state<EmbeddingView>('unknown');
  embeddingProblem = $state<string | null>(null);
  annotations = $state.raw<Annotation[]>([]);
  hidden = $state.raw<ReadonlySet<number>>(new Set());
  selectedId = $state<number | null>(null);
  readonly overlays = new OverlayCache();
  private embeddingReady: Promise<boolean> = Promise.resolve(false);
  /** Bumped per opened image so late answers about the previous image are dropped. */
  private generation = 0;

  constructor(
    private readonly api: MaskLoopClient,
    private readonly notices: Notices,
    private readonly hooks: ImageStateHooks,
  ) {}

  get imageId(): number | null {
    return this.image?.id ?? null;
  }

  async open(image: ImageInfo | null): Promise<void> {
    const generation = ++this.generation;
    this.pyramid?.close();
    this.pyramid = null;
    this.image = image;
    this.annotations = [];
    this.hidden = new Set();
    this.selectedId = null;
    this.embedding = 'unknown';
    this.embeddingProblem = null;
    if (!image) {
      this.embeddingReady = Promise.resolve(false);
      return;
    }
    this.embeddingReady = this.ensureEmbedding(image.id, generation);
    void this.loadDisplay(image, generation);
    await this.reloadAnnotations();
  }

  /** Resolves true once the open image's embedding is ready (false if it failed or another image was opened). */
  waitForEmbedding(): Promise<boolean> {
    return this.embeddingReady;
  }

  async reloadAnnotations(): Promise<void> {
    const image = this.image;
    if (!image) return;
    try {
      const annotations = await this.api.annotations.list({ imageId: image.id });
      if (this.image?.id !== image.id) return;
      this.annotations = annotations;
      this.overlays.retain(new Set(annotations.map((annotation) => annotation.id)));
      if (this.selectedId !== null && !annotations.some((annotation) => annotation.id === this.selectedId)) this.selectedId = null;
    } catch (error) {
      this.notices.error(error, 'Reading the annotations');
    }
  }

  select(annotationId: number | null): void {
    this.selectedId = annotationId;
  }

  /** Selects the topmost visible annotation under `point` (image pixels), or clears the selection. */
  selectAt(point: PointXY): void {
    const candidates = this.annotations.map((annotation) => ({
      id: annotation.id,
      mask: this.overlays.mask(annotation.id, annotation.mask),
      hidden: this.hidden.has(annotation.id),
    }));
    this.selectedId = annotationAt(candidates, point);
  }

  toggleHidden(annotationId: number): void {
    const hidden = new Set(this.hidden);
    if (!hidden.delete(annotationId)) hidden.add(annotationId);
    this.hidden = hidden;
  }

  async relabel(annotationId: number, categoryId: number): Promise<void> {
    try {
      const updated = await this.api.annotations.update({ annotationId, categoryId });
      this.annotations = this.annotations.map((annotation) => (annotation.id === annotationId ? updated : annotation));
      this.hooks.imageChanged(updated.imageId);
    } catch (error) {
      this.notices.error(error, 'Changing the category');
    }
  }

  async remove(annotationId: number): Promise<void> {
    try {
      await this.api.annotations.delete({ annotationId });
      if (this.selectedId === annotationId) this.selectedId = null;
      await this.reloadAnnotations();
      if (this.image) this.hooks.imageChanged(this.image.id);
    } catch (error) {
      this.notices.error(error, 'Deleting the annotation');
    }
  }

  private async ensureEmbedding(imageId: number, generation: number): Promise<boolean> {
    try {
      const status = await this.api.embedding.status({ imageId });
      if (generation !== this.generation) return false;
      this.embedding = status.state;
      if (status.state !== 'ready') {
        const ensured = await this.api.embedding.ensure({ imageId });
        if (generation !== this.generation) return false;
        this.embedding = ensured.state;
        this.hooks.imageChanged(imageId);
      }
      return this.embedding === 'ready';
    } catch (error) {
      if (generation !== this.generation) return false;
      this.embedding = 'failed';
      this.embeddingProblem = error instanceof Error ? error.message : String(error);
      this.notices.error(error, 'Preparing the image for SAM');
      return false;
    }
  }

  private async loadDisplay(image: ImageInfo, generation: number): Promise<void> {
    const element = new Image();
    element.decoding = 'async';
    element.src = this.api.imageUrl(image.id, image.contentHash);
    try {
      await element.decode();
    } catch {
      if (generation === this.generation) {
        this.notices.error(`${image.fileName} could not be shown: the file may be missing or unreadable (${image.path}).`);
      }
      return;
    }
    if (generation !== this.generation) return;
    this.pyramid = ImagePyramid.build(
      element,
      { width: image.width, height: image.height },
      { width: element.naturalWidth, height: element.naturalHeight },
      () => this.tilesReady++,
      (error) => this.notices.error(error, `Preparing ${image.fileName} for display`),
    );
  }
}
