// The imperative side of the canvas: backing-store size and device pixel ratio, the view (pan, zoom),
// pointer and wheel input turned into intents, and one redraw per animation frame when something changed.
import { BaseLayerCache } from './base-layer.js';
import { GestureTracker, type GestureIntent, type Tool } from './gestures.js';
import type { Rect, Size } from './geometry.js';
import { drawScene, type Scene } from './scene-renderer.js';
import { fitView, oneToOneView, panBy, screenToImage, wheelZoomFactor, zoomAt, type View } from './view-transform.js';

export type CanvasScene = Scene<CanvasImageSource>;

/** Intents the canvas hands to the app; pans, zooms and the box being dragged stay inside the canvas. */
export type CanvasIntent = Exclude<GestureIntent, { kind: 'pan' } | { kind: 'box-preview' }>;

export interface CanvasCallbacks {
  onIntent(intent: CanvasIntent): void;
  /** The zoom changed (CSS pixels per image pixel), for the zoom readout; reported after the frame is drawn. */
  onZoom(scale: number): void;
}

const EMPTY_SCENE: CanvasScene = { image: null, overlays: [], draft: null, prompts: { points: [], box: null, dragBox: null }, brushCursor: null };

export class CanvasController {
  private readonly context: CanvasRenderingContext2D;
  private readonly gestures: GestureTracker;
  private readonly baseLayer = new BaseLayerCache();
  private readonly disposers: (() => void)[] = [];
  private scene: CanvasScene = EMPTY_SCENE;
  private view: View = { scale: 1, offsetX: 0, offsetY: 0 };
  private viewport: Size = { width: 0, height: 0 };
  private devicePixelRatio = 1;
  private fittedImage: Size | null = null;
  private tool: Tool = 'sam';
  private brushRadius = 10;
  private spaceHeld = false;
  private dragBox: Rect | null = null;
  private pointer: { x: number; y: number } | null = null;
  private frameRequested = false;
  private reportedScale = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly callbacks: CanvasCallbacks,
  ) {
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) throw new Error('This browser cannot draw on a canvas (no 2D context).');
    this.context = context;
    this.gestures = new GestureTracker((screen) => screenToImage(this.view, screen));
    this.listen(canvas, 'pointerdown', (event) => this.pointerDown(event));
    this.listen(canvas, 'pointermove', (event) => this.pointerMove(event));
    this.listen(canvas, 'pointerup', (event) => this.handle(this.gestures.up(event)));
    this.listen(canvas, 'pointercancel', () => this.handle(this.gestures.cancel()));
    this.listen(canvas, 'pointerleave', () => this.setPointer(null));
    this.listen(canvas, 'wheel', (event) => this.wheel(event), { passive: false });
    this.listen(canvas, 'contextmenu', (event) => event.preventDefault());
    this.listen(window, 'keydown', (event) => this.spaceKey(event, true));
    this.listen(window, 'keyup', (event) => this.spaceKey(event, false));
    this.listen(window, 'blur', () => (this.spaceHeld = false));
    const resize = new ResizeObserver(() => this.resize());
    resize.observe(canvas);
    this.disposers.push(() => resize.disconnect());
    this.resize();
  }

  setScene(scene: CanvasScene): void {
    this.scene = scene;
    const size = scene.image?.size ?? null;
    if (size && size !== this.fittedImage && this.viewport.width > 0) this.fit();
    this.requestRender();
  }

  setTool(tool: Tool, brushRadius: number): void {
    this.tool = tool;
    this.brushRadius = brushRadius;
    this.canvas.style.cursor = tool === 'sam' ? 'crosshair' : 'none';
    this.requestRender();
  }

  fit(): void {
    const size = this.scene.image?.size;
    if (!size) return;
    this.fittedImage = size;
    this.setView(fitView(size, this.viewport));
  }

  oneToOne(): void {
    this.setView(oneToOneView(this.view, this.viewport, this.devicePixelRatio));
  }

  panBy(dx: number, dy: number): void {
    this.setView(panBy(this.view, dx, dy));
  }

  get currentView(): View {
    return this.view;
  }

  /** Draws now (the render benchmark times this); normal updates go through requestRender. */
  renderNow(): void {
    this.frameRequested = false;
    const brushCursor = this.tool !== 'sam' && this.pointer ? { ...screenToImage(this.view, this.pointer), radius: this.brushRadius, mode: this.tool === 'brush' ? 'paint' as const : 'erase' as const } : null;
    const scene = { ...this.scene, prompts: { ...this.scene.prompts, dragBox: this.dragBox }, brushCursor };
    const viewport = { ...this.viewport, devicePixelRatio: this.devicePixelRatio };
    drawScene(this.context, scene, this.view, viewport, this.baseLayer.baseFor(scene, this.view, viewport) ?? undefined);
    if (this.view.scale !== this.reportedScale) {
      this.reportedScale = this.view.scale;
      this.callbacks.onZoom(this.view.scale);
    }
  }

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.renderNow());
  }

  destroy(): void {
    for (const dispose of this.disposers) dispose();
  }

  private setView(view: View): void {
    this.view = view;
    this.requestRender();
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (width === this.viewport.width && height === this.viewport.height && dpr === this.devicePixelRatio) return;
    this.viewport = { width, height };
    this.devicePixelRatio = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    if (this.scene.image && this.fittedImage !== this.scene.image.size) this.fit();
    else this.requestRender();
  }

  private pointerDown(event: PointerEvent): void {
    this.canvas.focus();
    this.canvas.setPointerCapture(event.pointerId);
    if (event.button === 1) event.preventDefault();
    this.handle(this.gestures.down(this.local(event), this.tool, this.spaceHeld));
  }

  private pointerMove(event: PointerEvent): void {
    this.setPointer(this.local(event));
    // Coalesced events keep fast brush strokes smooth where the browser batches moves into one frame.
    const samples = this.gestures.active && event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const sample of samples.length > 0 ? samples : [event]) this.handle(this.gestures.move(this.local(sample)));
  }

  private handle(intents: GestureIntent[]): void {
    for (const intent of intents) {
      if (intent.kind === 'pan') this.panBy(intent.dx, intent.dy);
      else if (intent.kind === 'box-preview') {
        this.dragBox = intent.box;
        this.requestRender();
      } else this.callbacks.onIntent(intent);
    }
  }

  private wheel(event: WheelEvent): void {
    event.preventDefault();
    const delta = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 33 : event.deltaY;
    this.setView(zoomAt(this.view, this.local(event), wheelZoomFactor(delta)));
  }

  private spaceKey(event: KeyboardEvent, down: boolean): void {
    if (event.code !== 'Space' || isTextEntry(event.target)) return;
    event.preventDefault();
    this.spaceHeld = down;
    this.canvas.style.cursor = down ? 'grab' : this.tool === 'sam' ? 'crosshair' : 'none';
  }

  private setPointer(at: { x: number; y: number } | null): void {
    this.pointer = at;
    if (this.tool !== 'sam') this.requestRender();
  }

  private local(event: MouseEvent): { x: number; y: number; button: number; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean } {
    const bounds = this.canvas.getBoundingClientRect();
    return { x: event.clientX - bounds.left, y: event.clientY - bounds.top, button: event.button, shiftKey: event.shiftKey, ctrlKey: event.ctrlKey, metaKey: event.metaKey };
  }

  private listen<K extends keyof WindowEventMap>(
    target: HTMLElement | Window,
    type: K,
    listener: (event: WindowEventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    target.addEventListener(type, listener as EventListener, options);
    this.disposers.push(() => target.removeEventListener(type, listener as EventListener, options));
  }
}

function isTextEntry(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}
