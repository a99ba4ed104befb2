// The mask being made on the open image: SAM prompts and their predictions (coalesced, previous logits
// fed back, three candidates on the first click), brush/eraser strokes, and what accepting it sends.
import type { MaskLoopClient } from '../../src-main/api/client.js';
import type { Annotation, AnnotationPrompt, Box, Point, Prediction, Rle } from '../../src-main/api/contract.js';
import type { PointXY, Rect } from '../canvas/geometry.js';
import { DraftLayer } from '../canvas/draft-layer.js';
import { maskWindowFromRle, parseHexColor, type MaskWindow, type TintStyle } from '../canvas/mask-window.js';
import { DraftMask, type BrushStroke } from '../editing/draft-mask.js';
import { LatestOnly } from '../editing/latest-only.js';
import type { ImageState } from './image.svelte.js';
import type { Notices } from './notices.svelte.js';

interface PredictInput {
  imageId: number;
  points: Point[];
  box?: Box;
  multimask: boolean;
  usePreviousMask: boolean;
  previousMaskIndex?: number;
}

/** One thing the annotator did to the draft, in order (undo walks back through them). */
type DraftStep = { kind: 'point'; point: Point } | { kind: 'box'; box: Box; previous: Box | null } | { kind: 'stroke'; stroke: BrushStroke };

/** A box smaller than this (image pixels) on either side is a slip, not a prompt. */
const MIN_BOX_SIDE = 2;

export class DraftState {
  points = $state.raw<Point[]>([]);
  box = $state.raw<Box | null>(null);
  /** SAM's candidates for an ambiguous first click, best first by predicted IoU; null once the prompt is unambiguous. */
  candidates = $state.raw<{ masks: MaskWindow[]; scores: number[] } | null>(null);
  candidateIndex = $state(0);
  /** Set while re-editing an existing annotation: accepting updates it. */
  editing = $state.raw<Annotation | null>(null);
  /** Bumped whenever the draft's pixels change. */
  version = $state(0);
  active = $state(false);
  /** Foreground pixels of the draft, refreshed after each prediction, pick, undo and finished stroke. */
  area = $state(0);
  predicting = $state(false);
  /** Renderer-measured time from request to mask, of the last prediction. */
  lastPredictMs = $state<number | null>(null);

  candidatesOffered = $derived(this.candidates !== null && this.candidates.masks.length > 1);

  readonly layer = new DraftLayer();
  private mask: DraftMask | null = null;
  private steps: DraftStep[] = [];
  /** SAM's predicted IoU of the mask in use, stored with the annotation. */
  private iouPrediction: number | null = null;
  /** Whether the main process holds logits of this draft's last prediction to feed back. */
  private hasPreviousLogits = false;
  private readonly predictor: LatestOnly<PredictInput, Prediction>;

  constructor(
    private readonly api: MaskLoopClient,
    private readonly notices: Notices,
    private readonly image: ImageState,
    /** The current category's colour, for the draft's tint. */
    private readonly color: () => string,
  ) {
    this.predictor = new LatestOnly({
      run: (input) => this.predict(input),
      deliver: (prediction, input) => this.showPrediction(prediction, input),
      fail: (error) => {
        this.predicting = false;
        this.notices.error(error, 'SAM could not predict a mask');
      },
    });
  }

  get hasPrompts(): boolean {
    return this.points.length > 0 || this.box !== null;
  }

  /** A click in image pixels; clicks outside the image are refused with a message. */
  addPoint(at: PointXY, label: 0 | 1): void {
    if (!this.insideImage(at)) return this.notices.info('Click inside the image.');
    const point = { x: at.x, y: at.y, label };
    this.steps.push({ kind: 'point', point });
    this.points = [...this.points, point];
    this.requestPrediction();
  }

  setBox(rect: Rect): void {
    const size = this.imageSize();
    if (!size) return;
    const x0 = Math.max(0, rect.x);
    const y0 = Math.max(0, rect.y);
    const x1 = Math.min(size.width, rect.x + rect.width);
    const y1 = Math.min(size.height, rect.y + rect.height);
    if (x1 - x0 < MIN_BOX_SIDE || y1 - y0 < MIN_BOX_SIDE) return;
    const box = { x0, y0, x1, y1 };
    this.steps.push({ kind: 'box', box, previous: this.box });
    this.box = box;
    this.requestPrediction();
  }

  pickCandidate(index: number): void {
    const candidates = this.candidates;
    if (!candidates || index >= candidates.masks.length) return;
    this.candidateIndex = index;
    this.iouPrediction = candidates.scores[index];
    this.ensureMask().setBase(candidates.masks[index]);
    this.redraw();
  }

  beginStroke(mode: 'paint' | 'erase', at: PointXY, radius: number): void {
    const stroke = { mode, radius, points: [at] };
    const changed = this.ensureMask().beginStroke(stroke);
    this.steps.push({ kind: 'stroke', stroke });
    this.active = true;
    this.patch(changed);
  }

  extendStroke(at: PointXY): void {
    if (this.mask) this.patch(this.mask.extendStroke(at));
  }

  endStroke(): void {
    this.area = this.mask?.area() ?? 0;
  }

  /** Undoes the newest step of the draft (a click, the box, a stroke); false when the draft has none. */
  undoStep(): boolean {
    const step = this.steps.pop();
    if (!step) return false;
    if (step.kind === 'stroke') {
      this.mask?.undoStroke();
      this.redraw();
      return true;
    }
    if (step.kind === 'point') this.points = this.points.slice(0, -1);
    else this.box = step.previous;
    // The logits in the main process came from the longer prompt: start this one afresh.
    this.hasPreviousLogits = false;
    if (this.hasPrompts) this.requestPrediction();
    else if (this.steps.length === 0 && !this.editing) this.reset();
    else this.showBaseOnly();
    return true;
  }

  /** Starts re-editing an annotation: its mask becomes the draft; clicks re-predict it with SAM, the brush fixes it. */
  reEdit(annotation: Annotation): void {
    this.reset();
    this.editing = annotation;
    this.active = true;
    this.ensureMask().setBase(maskWindowFromRle(annotation.mask));
    this.redraw();
  }

  reset(): void {
    this.predictor.reset();
    this.points = [];
    this.box = null;
    this.candidates = null;
    this.candidateIndex = 0;
    this.editing = null;
    this.mask = null;
    this.steps = [];
    this.iouPrediction = null;
    this.layer.clear();
    this.hasPreviousLogits = false;
    this.predicting = false;
    this.active = false;
    this.area = 0;
    this.version++;
  }

  /** The mask to accept, or null when the draft is empty. */
  result(): Rle | null {
    return this.mask && !this.mask.isEmpty() ? this.mask.toRle() : null;
  }

  /** What made the mask, in order, as the annotation keeps it for fine-tuning. */
  prompts(): AnnotationPrompt[] {
    return this.steps.map((step): AnnotationPrompt => {
      if (step.kind === 'point') return { kind: 'point', ...step.point };
      if (step.kind === 'box') return { kind: 'box', ...step.box };
      const { mode, radius, points } = step.stroke;
      return { kind: 'brush', mode: mode === 'paint' ? 'add' : 'erase', radius, points: points.map((point): [number, number] => [point.x, point.y]) };
    });
  }

  /** SAM's predicted IoU for the mask in use; null when no prediction made it. */
  predictedIoU(): number | null {
    return this.hasPrompts ? this.iouPrediction : null;
  }

  /** Re-tints the draft (the category colour changed). */
  recolor(): void {
    if (this.mask) this.redraw();
  }

  private requestPrediction(): void {
    const imageId = this.image.imageId;
    if (imageId === null) return;
    this.active = true;
    this.predicting = true;
    const multimask = this.points.length === 1 && this.box === null && !this.hasPreviousLogits;
    this.predictor.submit({
      imageId,
      points: this.points,
      ...(this.box ? { box: this.box } : {}),
      multimask,
      usePreviousMask: this.hasPreviousLogits,
      ...(this.hasPreviousLogits && this.candidates ? { previousMaskIndex: this.candidateIndex } : {}),
    });
  }

  private async predict(input: PredictInput): Promise<Prediction> {
    // Prompts given while the embedding is being made wait here, and only the newest is then sent.
    if (!(await this.image.waitForEmbedding())) throw new Error('the image has no embedding yet (see the message above).');
    const started = performance.now();
    const prediction = await this.api.sam.predict(input);
    this.lastPredictMs = Math.round(performance.now() - started);
    return prediction;
  }

  private showPrediction(prediction: Prediction, input: PredictInput): void {
    if (input.imageId !== this.image.imageId) return;
    const masks = prediction.masks.map(maskWindowFromRle);
    this.hasPreviousLogits = true;
    this.predicting = false;
    if (input.multimask && masks.length > 1) {
      const best = prediction.iouPredictions.indexOf(Math.max(...prediction.iouPredictions));
      this.candidates = { masks, scores: prediction.iouPredictions };
      this.candidateIndex = best;
    } else {
      this.candidates = null;
      this.candidateIndex = 0;
    }
    this.iouPrediction = prediction.iouPredictions[this.candidateIndex] ?? null;
    this.ensureMask().setBase(masks[this.candidateIndex]);
    this.redraw();
  }

  /** After the last prompt is undone: the re-edited annotation's mask (or nothing) with the strokes. */
  private showBaseOnly(): void {
    this.predictor.reset();
    this.predicting = false;
    this.candidates = null;
    this.ensureMask().setBase(this.editing ? maskWindowFromRle(this.editing.mask) : null);
    this.redraw();
  }

  private ensureMask(): DraftMask {
    const size = this.imageSize();
    if (!size) throw new Error('No image is open.');
    this.mask ??= new DraftMask(size);
    return this.mask;
  }

  private tint(): TintStyle {
    return { color: parseHexColor(this.color()), fillAlpha: 120, edgeAlpha: 255 };
  }

  private redraw(): void {
    if (this.mask) this.layer.render(this.mask, this.tint());
    this.area = this.mask?.area() ?? 0;
    this.version++;
  }

  private patch(changed: Rect | null): void {
    if (this.mask && changed) this.layer.update(this.mask, changed, this.tint());
    this.version++;
  }

  private imageSize(): { width: number; height: number } | null {
    const image = this.image.image;
    return image ? { width: image.width, height: image.height } : null;
  }

  private insideImage(at: PointXY): boolean {
    const size = this.imageSize();
    return size !== null && at.x >= 0 && at.y >= 0 && at.x < size.width && at.y < size.height;
  }
}
