// What the canvas shows, read from the app's state: image pyramid, visible annotation overlays, the draft and its prompts.
// Called inside the canvas component's effect, so every state it reads makes the canvas redraw when it changes.
import type { CanvasScene } from '../canvas/canvas-controller.js';
import type { SceneOverlay } from '../canvas/scene-renderer.js';
import type { AppState } from './app.svelte.js';

const FALLBACK_COLOR = '#ffffff';

export function sceneOf(app: AppState): CanvasScene {
  const { image, draft, project } = app;
  void image.tilesReady;
  void draft.version;
  const colors = new Map(project.categories.map((category) => [category.id, category.color]));
  const editingId = draft.editing?.id;
  const overlays: SceneOverlay<CanvasImageSource>[] = [];
  for (const annotation of image.annotations) {
    // The annotation being re-edited shows as the draft only.
    if (image.hidden.has(annotation.id) || annotation.id === editingId) continue;
    const overlay = image.overlays.overlay({
      id: annotation.id,
      mask: annotation.mask,
      color: colors.get(annotation.categoryId) ?? FALLBACK_COLOR,
      selected: annotation.id === image.selectedId,
    });
    if (overlay) overlays.push(overlay);
  }
  const box = draft.box;
  return {
    image: image.pyramid,
    overlays,
    draft: draft.layer.overlay,
    prompts: {
      points: draft.points,
      box: box ? { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 } : null,
      dragBox: null,
    },
    brushCursor: null,
  };
}
