// The annotator's current tool: SAM prompts, brush or eraser, the brush size, the category to accept with, the zoom readout.
import { nextBrushRadius } from '../editing/brush.js';
import type { Tool } from '../canvas/gestures.js';

export class ToolState {
  tool = $state<Tool>('sam');
  /** Image pixels. */
  brushRadius = $state(12);
  categoryId = $state<number | null>(null);
  /** CSS pixels per image pixel, as the canvas reports it. */
  zoom = $state(1);

  setTool(tool: Tool): void {
    this.tool = tool;
  }

  resizeBrush(direction: 1 | -1): void {
    this.brushRadius = nextBrushRadius(this.brushRadius, direction);
  }
}
