// The renderer's composition root: the state modules, the main process's events wired to them, and the
// commands that span several of them (navigate, accept, undo/redo, shortcuts).
import type { MaskLoopClient } from '../../src-main/api/client.js';
import type { Category, HistoryStep } from '../../src-main/api/contract.js';
import type { CanvasIntent } from '../canvas/canvas-controller.js';
import type { Command } from '../input/keymap.js';
import { DraftState } from './draft.svelte.js';
import { ImageState } from './image.svelte.js';
import { Notices } from './notices.svelte.js';
import { ProjectState } from './project.svelte.js';
import { ToolState } from './tool.svelte.js';
import { TrainingState } from './training.svelte.js';

/** What the canvas component can do for the app (zoom commands from the keyboard). */
export interface CanvasCommands {
  fit(): void;
  oneToOne(): void;
}

export class AppState {
  readonly notices = new Notices();
  readonly project: ProjectState;
  readonly image: ImageState;
  readonly draft: DraftState;
  readonly tool = new ToolState();
  readonly training: TrainingState;
  history = $state.raw<{ canUndo: boolean; canRedo: boolean }>({ canUndo: true, canRedo: true });
  exportOpen = $state(false);
  canvas: CanvasCommands | null = null;


  constructor(readonly api: MaskLoopClient) {
    this.project = new ProjectState(api, this.notices, { currentImageChanged: () => this.openCurrentImage() });
    this.image = new ImageState(api, this.notices, { imageChanged: (imageId) => void this.imageChanged(imageId) });
    this.draft = new DraftState(api, this.notices, this.image, () => this.currentCategory?.color ?? '#ffffff');
    this.training = new TrainingState(api, this.notices);
    api.on('embedding.progress', (progress) => this.project.embeddingProgress(progress));
    api.on('training.progress', (progress) => this.training.onProgress(progress));
    api.on('training.finished', (finished) => this.training.onFinished(finished));
    api.on('model.activated', () => void this.training.refresh());
    api.on('project.changed', (info) => this.project.projectChanged(info));
    api.on('error', (error) => this.notices.error(error.message));
  }

  async start(): Promise<void> {
    await this.project.start();
    await this.training.refresh();
  }

  get currentCategory(): Category | null {
    return this.project.categories.find((category) => category.id === this.tool.categoryId) ?? null;
  }

  /** The canvas's intents: prompts, strokes, selection. */
  canvasIntent(intent: CanvasIntent): void {
    if (intent.kind === 'point') this.draft.addPoint(intent.at, intent.label);
    else if (intent.kind === 'box') this.draft.setBox(intent.box);
    else if (intent.kind === 'select') this.image.selectAt(intent.at);
    else if (intent.kind === 'stroke-begin') this.draft.beginStroke(intent.mode, intent.at, this.tool.brushRadius);
    else if (intent.kind === 'stroke-extend') this.draft.extendStroke(intent.at);
    else this.draft.endStroke();
  }

  pickCategory(categoryId: number): void {
    this.tool.categoryId = categoryId;
    this.draft.recolor();
  }

  async accept(): Promise<void> {
    const image = this.image.image;
    const mask = this.draft.result();
    const category = this.currentCategory;
    if (!image || !mask) return this.notices.info('Nothing to accept yet: click on an object (or paint it) first.');
    if (!category) return this.notices.info('Choose a category first (add one in the Categories panel, or press its number).');
    const editing = this.draft.editing;
    const source = this.draft.hasPrompts ? 'sam' : 'manual';
    const prompts = this.draft.prompts();
    try {
      // A re-edited mask stays what it was (SAM's, imported...) unless SAM re-predicted it; its strokes are appended.
      if (editing) await this.api.annotations.update({ annotationId: editing.id, mask, categoryId: category.id, prompts, ...(source === 'sam' ? { source } : {}) });
      else {
        const iouPrediction = this.draft.predictedIoU() ?? undefined;
        await this.api.annotations.create({ imageId: image.id, categoryId: category.id, mask, source, prompts, iouPrediction });
      }
    } catch (error) {
      return this.notices.error(error, 'Saving the annotation');
    }
    this.draft.reset();
    this.history = { canUndo: true, canRedo: false };
    await this.image.reloadAnnotations();
    await this.imageChanged(image.id);
  }

  async undo(): Promise<void> {
    if (this.draft.undoStep()) return;
    await this.historyStep(() => this.api.history.undo(), 'Undo');
  }

  async redo(): Promise<void> {
    await this.historyStep(() => this.api.history.redo(), 'Redo');
  }

  reEdit(annotationId: number): void {
    const annotation = this.image.annotations.find((candidate) => candidate.id === annotationId);
    if (!annotation) return;
    this.tool.categoryId = annotation.categoryId;
    this.image.select(annotationId);
    this.draft.reEdit(annotation);
  }

  run(command: Command): void {
    switch (command.kind) {
      case 'next-image':
        return this.project.step(1);
      case 'previous-image':
        return this.project.step(-1);
      case 'accept':
        return void this.accept();
      case 'clear-draft':
        this.image.select(null);
        return this.draft.reset();
      case 'undo':
        return void this.undo();
      case 'redo':
        return void this.redo();
      case 'pick-candidate':
        return this.draft.pickCandidate(command.index);
      case 'pick-category': {
        const category = this.project.categoryByShortcut(command.shortcut);
        return category ? this.pickCategory(category.id) : this.notices.info(`No category has the shortcut ${command.shortcut}.`);
      }
      case 'tool':
        return this.tool.setTool(command.tool);
      case 'brush-size':
        return this.tool.resizeBrush(command.direction);
      case 'toggle-automatic-training':
        return void this.training.toggleAutomatic();
      case 'zoom-fit':
        return this.canvas?.fit();
      case 'zoom-one-to-one':
        return this.canvas?.oneToOne();
      case 'toggle-hide-selected':
        return void (this.image.selectedId !== null && this.image.toggleHidden(this.image.selectedId));
      case 'delete-selected':
        return void (this.image.selectedId !== null && this.image.remove(this.image.selectedId));
      case 'export':
        this.exportOpen = true;
        return;
    }
  }

  private openCurrentImage(): void {
    this.draft.reset();
    void this.image.open(this.project.currentImage);
  }

  private async imageChanged(imageId: number): Promise<void> {
    await this.project.refreshImage(imageId);
    await this.training.refresh();
  }

  private async historyStep(step: () => Promise<HistoryStep>, label: string): Promise<void> {
    try {
      const result = await step();
      this.history = { canUndo: result.canUndo, canRedo: result.canRedo };
      if (result.description === null) return this.notices.info(`${label}: nothing to ${label.toLowerCase()}.`);
      this.notices.info(`${label}: ${result.description}`);
      if (result.imageId === null) return;
      if (result.imageId === this.image.imageId) await this.image.reloadAnnotations();
      await this.imageChanged(result.imageId);
    } catch (error) {
      this.notices.error(error, label);
    }
  }
}
