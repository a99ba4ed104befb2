// The one declaration of what the renderer may ask the main process and which events it may receive.
// Inputs are zod schemas (validated at the boundary, in every transport); outputs are TypeScript types.
// Everything else (the service's handler type, the client's Promise API, the preload, the wire
// method names) is derived from `contract` and `events` below, never written twice.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Result envelope: errors cross the boundary as values; the client unwraps them.

export interface ApiError {
  /** A MaskLoopErrorCode ('INVALID_PAYLOAD', 'NOT_FOUND', ...), 'NOT_AVAILABLE' or 'INTERNAL'. */
  code: string;
  /** Written for a person: what went wrong and what to do. */
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---------------------------------------------------------------------------------------------
// Shared input schemas.

const id = z.number().int().positive();
const nonEmptyPath = z.string().min(1, 'a path is required');
const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #ff8800');
/** Keyboard shortcut of a category: the digit keys 1-9. */
const categoryShortcut = z.number().int().min(1).max(9);

/** COCO compressed RLE as pycocotools writes it: column-major runs; size is [height, width]. */
export const rleSchema = z.strictObject({
  counts: z.string(),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
});

/** A click in ORIGINAL image pixels (x right, y down); label 1 = foreground, 0 = background. */
const pointSchema = z.strictObject({
  x: z.number().finite(),
  y: z.number().finite(),
  label: z.literal([1, 0], { error: 'label must be 1 (foreground) or 0 (background)' }),
});

/** A box in ORIGINAL image pixels, corners (x0, y0) top-left and (x1, y1) bottom-right. */
const boxSchema = z
  .strictObject({ x0: z.number().finite(), y0: z.number().finite(), x1: z.number().finite(), y1: z.number().finite() })
  .refine((box) => box.x1 > box.x0 && box.y1 > box.y0, 'x1 must exceed x0 and y1 must exceed y0');

/** What produced a mask, in order: clicks, boxes, brush/eraser strokes (radius and polyline in original pixels). */
const annotationPromptSchema = z.discriminatedUnion('kind', [
  pointSchema.extend({ kind: z.literal('point') }),
  z.strictObject({ kind: z.literal('box'), x0: z.number().finite(), y0: z.number().finite(), x1: z.number().finite(), y1: z.number().finite() }),
  z.strictObject({
    kind: z.literal('brush'),
    mode: z.enum(['add', 'erase']),
    radius: z.number().positive(),
    points: z.array(z.tuple([z.number().finite(), z.number().finite()])).min(1).max(100_000),
  }),
]);
const annotationPromptsSchema = z.array(annotationPromptSchema).max(10_000);

const imageStatus = z.enum(['new', 'embedding', 'ready', 'labelled', 'missing']);
const checkpointVariant = z.enum(['vit_b', 'vit_l', 'vit_h']);
const chooseFilesPurpose = z.enum(['openProject', 'createProject', 'addImages', 'addFolder', 'checkpoint', 'exportCoco', 'importCoco']);
const nothing = z.strictObject({});

// ---------------------------------------------------------------------------------------------
// Output types.

export type Rle = z.infer<typeof rleSchema>;
export type Point = z.infer<typeof pointSchema>;
export type Box = z.infer<typeof boxSchema>;
export type AnnotationPrompt = z.infer<typeof annotationPromptSchema>;
export type ImageStatus = z.infer<typeof imageStatus>;
export type CheckpointVariant = z.infer<typeof checkpointVariant>;
export type ChooseFilesPurpose = z.infer<typeof chooseFilesPurpose>;
export type OnnxProvider = 'cpu' | 'cuda';
export type TrainingEngine = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface AppInfo {
  version: string;
  versions: { node: string; electron: string | null; chrome: string | null; onnxruntime: string };
  /** How the renderer is connected: the Electron window or a browser over the WebSocket. */
  host: 'desktop' | 'browser';
  /** True where the host can show native open/save dialogs (`app.chooseFiles`). */
  nativeDialogs: boolean;
  /** The ONNX Runtime provider of the loaded SAM model; null while no model is loaded. */
  provider: OnnxProvider | null;
  /** The TensorFlow.js engine the last fine-tune ran on; null before the first one (its worker finds the engine). */
  trainingEngine: TrainingEngine | null;
  /** False on first run: the renderer shows the "add a SAM checkpoint" screen. */
  hasModel: boolean;
}

export interface ChosenFiles {
  /** Empty when the user cancelled the dialog. */
  paths: string[];
}

export interface ProjectInfo {
  path: string;
  name: string;
  imageCount: number;
  annotationCount: number;
  categoryCount: number;
}

export interface RecentProject {
  path: string;
  name: string;
  /** ISO 8601 */
  openedAt: string;
  exists: boolean;
}

export interface ImageInfo {
  id: number;
  fileName: string;
  /** Absolute path on the machine running the main process. */
  path: string;
  width: number;
  height: number;
  contentHash: string;
  status: ImageStatus;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface AddImagesReport {
  added: number;
  /** Files whose content is already in the project. */
  duplicates: number;
  /** Files that matched a missing image, which now points at them. */
  relinked: number;
  skipped: SkippedFile[];
}

export interface ImagePage {
  items: ImageInfo[];
  /** Number of images matching the filter, across all pages. */
  total: number;
}

export interface RelinkReport {
  relinked: number;
  stillMissing: number;
}

export interface Category {
  id: number;
  name: string;
  /** '#rrggbb' */
  color: string;
  /** The digit key 1-9: the first nine categories in list order have one. */
  shortcut: number | null;
  supercategory: string;
}

export type AnnotationSource = 'sam' | 'manual' | 'imported';

export interface Annotation {
  id: number;
  imageId: number;
  categoryId: number;
  mask: Rle;
  /** COCO [x, y, width, height] in original pixels. */
  bbox: [number, number, number, number];
  area: number;
  /** SAM's predicted IoU for a mask it proposed; null for manual and imported masks. */
  iouPrediction: number | null;
  source: AnnotationSource;
  /** ISO 8601 */
  createdAt: string;
}

export interface HistoryStep {
  /** What was undone or redone, for a toast ("Deleted annotation 12"); null when there was nothing. */
  description: string | null;
  /** The image whose annotations changed, so the renderer reloads that list. */
  imageId: number | null;
  canUndo: boolean;
  canRedo: boolean;
}

export type EmbeddingState = 'missing' | 'running' | 'ready';

export interface EmbeddingStatus {
  imageId: number;
  state: EmbeddingState;
}

export interface EmbeddingQueueStatus {
  running: boolean;
  done: number;
  total: number;
}

export interface Prediction {
  /** One mask per candidate (three with multimask, else one), at the original image size. */
  masks: Rle[];
  iouPredictions: number[];
  timing: { decodeMs: number; totalMs: number };
}

export interface CheckpointInfo {
  id: string;
  name: string;
  path: string;
  variant: string;
  active: boolean;
}

export interface DecoderVersion {
  id: number;
  parentId: number | null;
  /** ISO 8601 */
  createdAt: string;
  heldOutIoU: number | null;
  active: boolean;
}

export interface ModelsState {
  checkpoints: CheckpointInfo[];
  /** The open project's fine-tuned decoders; empty without a project. */
  decoderVersions: DecoderVersion[];
  /** null: the checkpoint's own decoder is in use. */
  activeDecoderVersionId: number | null;
}

export interface TrainingStatus {
  state: 'idle' | 'running';
  engine: TrainingEngine | null;
  correctionsSinceLastFineTune: number;
  automatic: { enabled: boolean; everyN: number };
  /** The running fine-tune's last progress; null when idle. */
  progress: TrainingProgress | null;
}

export interface CocoExportReport {
  path: string;
  images: number;
  annotations: number;
  categories: number;
}

export interface CocoImportReport {
  /** New images; images already in the project are reused, not counted. */
  images: number;
  annotations: number;
  /** New categories. */
  categories: number;
  /** Annotations without segmentation in the file, whose mask is their bbox. */
  boxMasks: number;
  /** One line per warning, and per item left out with skipBadItems ("annotations[3]: ..."). */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// The request table.

/** One request: its input schema and (type only) its output. */
export interface RequestSpec<Input extends z.ZodType, Output> {
  readonly input: Input;
  /** Type carrier only; never set at run time. */
  readonly output?: Output;
}

function request<Input extends z.ZodType, Output>(input: Input, _returns: Returns<Output>): RequestSpec<Input, Output> {
  return { input };
}

interface Returns<Output> {
  readonly type?: Output;
}

function returns<Output>(): Returns<Output> {
  return {};
}

export const contract = {
  app: {
    info: request(nothing, returns<AppInfo>()),
    /** Native dialog; where `nativeDialogs` is false it fails with NOT_AVAILABLE and the renderer asks for a typed path. */
    chooseFiles: request(
      z.strictObject({ purpose: chooseFilesPurpose }),
      returns<ChosenFiles>(),
    ),
  },
  projects: {
    create: request(z.strictObject({ path: nonEmptyPath, name: z.string().min(1).max(200).optional() }), returns<ProjectInfo>()),
    open: request(z.strictObject({ path: nonEmptyPath }), returns<ProjectInfo>()),
    close: request(nothing, returns<null>()),
    info: request(nothing, returns<ProjectInfo | null>()),
    recent: request(nothing, returns<RecentProject[]>()),
  },
  images: {
    /** Files and folders (recursive); unreadable and unsupported files come back in `skipped`. */
    add: request(z.strictObject({ paths: z.array(nonEmptyPath).min(1) }), returns<AddImagesReport>()),
    list: request(
      z.strictObject({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200),
        status: imageStatus.optional(),
      }),
      returns<ImagePage>(),
    ),
    get: request(z.strictObject({ imageId: id }), returns<ImageInfo>()),
    /** Looks for every missing image (by content hash) under `folder`. */
    relink: request(z.strictObject({ folder: nonEmptyPath }), returns<RelinkReport>()),
  },
  categories: {
    list: request(nothing, returns<Category[]>()),
    create: request(
      z.strictObject({
        name: z.string().trim().min(1).max(100),
        /** Default: the next colour of the palette. */
        color: hexColor.optional(),
        supercategory: z.string().max(100).optional(),
      }),
      returns<Category>(),
    ),
    update: request(
      z.strictObject({
        categoryId: id,
        name: z.string().trim().min(1).max(100).optional(),
        color: hexColor.optional(),
        supercategory: z.string().max(100).optional(),
        /** Moves the category to list position `shortcut` (so that digit selects it). */
        shortcut: categoryShortcut.optional(),
      }),
      returns<Category>(),
    ),
    delete: request(z.strictObject({ categoryId: id }), returns<null>()),
  },
  annotations: {
    list: request(z.strictObject({ imageId: id }), returns<Annotation[]>()),
    /** Accept a mask (bbox and area are computed from it); `prompts` are what made it, kept for fine-tuning. */
    create: request(
      z.strictObject({
        imageId: id,
        categoryId: id,
        mask: rleSchema,
        source: z.enum(['sam', 'manual']),
        iouPrediction: z.number().finite().optional(),
        prompts: annotationPromptsSchema.optional(),
      }),
      returns<Annotation>(),
    ),
    /** A corrected mask and/or another category; `prompts` (e.g. brush strokes) are appended. */
    update: request(
      z
        .strictObject({
          annotationId: id,
          mask: rleSchema.optional(),
          categoryId: id.optional(),
          source: z.enum(['sam', 'manual']).optional(),
          prompts: annotationPromptsSchema.optional(),
        })
        .refine((input) => input.mask !== undefined || input.categoryId !== undefined, 'give a mask or a categoryId to change'),
      returns<Annotation>(),
    ),
    delete: request(z.strictObject({ annotationId: id }), returns<null>()),
  },
  history: {
    undo: request(nothing, returns<HistoryStep>()),
    redo: request(nothing, returns<HistoryStep>()),
  },
  embedding: {
    status: request(z.strictObject({ imageId: id }), returns<EmbeddingStatus>()),
    /** Embeds the image now, ahead of the queue; resolves when its embedding is ready. */
    ensure: request(z.strictObject({ imageId: id }), returns<EmbeddingStatus>()),
    /** Embeds every image without an embedding in the background; progress arrives as `embedding.progress`. */
    startQueue: request(nothing, returns<EmbeddingQueueStatus>()),
    cancelQueue: request(nothing, returns<EmbeddingQueueStatus>()),
    queueStatus: request(nothing, returns<EmbeddingQueueStatus>()),
  },
  sam: {
    predict: request(
      z.strictObject({
        imageId: id,
        points: z.array(pointSchema).max(64).default([]),
        box: boxSchema.optional(),
        multimask: z.boolean().default(false),
        /** Feed this image's previous low-res logits (kept in the main process) back as mask_input. */
        usePreviousMask: z.boolean().default(false),
        /** Which previous multimask candidate to feed back; default: the highest predicted IoU. */
        previousMaskIndex: z.number().int().min(0).max(2).optional(),
      }).refine((input) => input.points.length > 0 || input.box !== undefined, 'give at least one point or a box'),
      returns<Prediction>(),
    ),
  },
  models: {
    list: request(nothing, returns<ModelsState>()),
    /** Registers and loads a SAM checkpoint (.pth / .safetensors); a file that is not SAM's fails clearly. */
    addCheckpoint: request(z.strictObject({ path: nonEmptyPath }), returns<ModelsState>()),
    /** Downloads an official checkpoint (resumable, checksum-verified); progress as `download.progress`. */
    download: request(z.strictObject({ variant: checkpointVariant }), returns<ModelsState>()),
    cancelDownload: request(z.strictObject({ variant: checkpointVariant }), returns<null>()),
    activateCheckpoint: request(z.strictObject({ checkpointId: z.string().min(1) }), returns<ModelsState>()),
    /** Use a fine-tuned decoder version; null goes back to the checkpoint's own decoder. */
    activateDecoder: request(z.strictObject({ versionId: id.nullable() }), returns<ModelsState>()),
    /** Activates the parent of the active decoder version. */
    rollback: request(nothing, returns<ModelsState>()),
  },
  training: {
    start: request(
      z.strictObject({ epochs: z.number().int().min(1).max(1000).optional(), headsOnly: z.boolean().optional() }),
      returns<TrainingStatus>(),
    ),
    cancel: request(nothing, returns<TrainingStatus>()),
    status: request(nothing, returns<TrainingStatus>()),
    setAutomatic: request(
      z.strictObject({ enabled: z.boolean(), everyN: z.number().int().min(1).max(10000).optional() }),
      returns<TrainingStatus>(),
    ),
  },
  coco: {
    export: request(
      z.strictObject({
        path: nonEmptyPath,
        polygons: z.boolean().default(false),
        categoryIds: z.array(id).optional(),
        imageIds: z.array(id).optional(),
      }),
      returns<CocoExportReport>(),
    ),
    /** All or nothing: a file with bad items is refused with a report, unless `skipBadItems`. */
    import: request(
      z.strictObject({ path: nonEmptyPath, imagesDir: nonEmptyPath.optional(), skipBadItems: z.boolean().default(false) }),
      returns<CocoImportReport>(),
    ),
  },
} as const;

export type Contract = typeof contract;
export type GroupName = keyof Contract;
export type MethodName = { [G in GroupName]: `${G}.${keyof Contract[G] & string}` }[GroupName];

type InputSchemaOf<S> = S extends RequestSpec<infer Input, unknown> ? Input : never;
type OutputOf<S> = S extends RequestSpec<z.ZodType, infer Output> ? Output : never;
/** What a handler receives: the parsed input, defaults applied. */
export type ParsedInput<S> = z.output<InputSchemaOf<S>>;
/** What a caller sends: defaults may be left out. */
export type CallInput<S> = z.input<InputSchemaOf<S>>;

/** The service implements this: `const handlers: MaskLoopApi = {...}`; a missing method fails to compile. */
export type MaskLoopApi = {
  [G in GroupName]: { [M in keyof Contract[G]]: (input: ParsedInput<Contract[G][M]>) => Promise<OutputOf<Contract[G][M]>> };
};

/** The renderer's view: unwrapped Promises (rejecting with ApiCallError); empty inputs may be omitted. */
export type MaskLoopClientApi = {
  [G in GroupName]: {
    [M in keyof Contract[G]]: {} extends CallInput<Contract[G][M]>
      ? (input?: CallInput<Contract[G][M]>) => Promise<OutputOf<Contract[G][M]>>
      : (input: CallInput<Contract[G][M]>) => Promise<OutputOf<Contract[G][M]>>;
  };
};

/** Every wire method name ("projects.open", ...) with its spec, for transports that look methods up by name. */
export function listMethods(): { method: MethodName; group: GroupName; name: string; input: z.ZodType }[] {
  return (Object.keys(contract) as GroupName[]).flatMap((group) =>
    Object.entries(contract[group]).map(([name, spec]) => ({
      method: `${group}.${name}` as MethodName,
      group,
      name,
      input: (spec as RequestSpec<z.ZodType, unknown>).input,
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Events pushed from the main process.

export interface EmbeddingProgress {
  done: number;
  total: number;
  failed: number;
  /** The image this report is about (its embedding started or ended); null for a run's first report. */
  imageId: number | null;
  /** That image's status now ('embedding' while it runs, then 'ready'/'labelled', or 'new' after a failure). */
  imageStatus: ImageStatus | null;
  etaMs: number | null;
}

export interface TrainingProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  samplesPerSecond: number;
  etaMs: number | null;
}

export interface TrainingFinished {
  outcome: 'completed' | 'cancelled' | 'failed';
  /** Held-out mean IoU of the decoder in use before, and of the new one; null unless completed. */
  heldOutIoUBefore: number | null;
  heldOutIoUAfter: number | null;
  versionId: number | null;
  activated: boolean;
  /** For 'failed': what went wrong, for a person. */
  message: string | null;
}

export interface ModelActivated {
  checkpointId: string;
  decoderVersionId: number | null;
  provider: OnnxProvider;
}

export interface DownloadProgress {
  variant: CheckpointVariant;
  received: number;
  total: number;
}

/** One event: its payload type (type carrier only, wrapped so that a null payload survives). */
interface EventSpec<Payload> {
  readonly payload?: [Payload];
}

function event<Payload>(): EventSpec<Payload> {
  return {};
}

export const events = {
  'embedding.progress': event<EmbeddingProgress>(),
  'training.progress': event<TrainingProgress>(),
  'training.finished': event<TrainingFinished>(),
  'model.activated': event<ModelActivated>(),
  'download.progress': event<DownloadProgress>(),
  /** The open project changed (opened from the menu, closed); null when none is open. */
  'project.changed': event<ProjectInfo | null>(),
  /** A failure of background work that no request is waiting for. */
  error: event<ApiError>(),
} as const;

export type EventName = keyof typeof events;
export type MaskLoopEvents = { [E in EventName]: NonNullable<(typeof events)[E]['payload']>[0] };
export const eventNames = Object.keys(events) as EventName[];

// ---------------------------------------------------------------------------------------------
// Image display: the bytes come from a URL, not over the request channel. Electron serves the
// renderer and `maskloop://app/image/<id>?v=<hash>` through its custom protocol; browser mode serves
// `/image/<id>?v=<hash>&token=...` over HTTP. Both parse the same path.

export const APP_PROTOCOL = 'maskloop';

/** The path part shared by both transports; `version` (the content hash) defeats stale caches after a relink. */
export function imageDisplayPath(imageId: number, version: string): string {
  return `image/${imageId}?v=${encodeURIComponent(version)}`;
}

/** The image id in a display URL's path ("/image/12" or "image/12"), or undefined. */
export function parseImageDisplayPath(pathname: string): number | undefined {
  const match = /^\/?image\/(\d+)$/.exec(pathname);
  return match ? Number(match[1]) : undefined;
}
