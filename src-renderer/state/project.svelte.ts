// The open project as the renderer sees it: its images (with status and filter), categories, the
// current image, and the background embedding queue.
import type { MaskLoopClient } from '../../src-main/api/client.js';
import type { AppInfo, Category, EmbeddingProgress, ImageInfo, ImageStatus, ProjectInfo, RecentProject } from '../../src-main/api/contract.js';
import type { Notices } from './notices.svelte.js';

export type ImageFilter = ImageStatus | 'all';

export interface QueueProgress {
  running: boolean;
  done: number;
  total: number;
  etaMs: number | null;
}

/** The images.list page size: the contract's maximum. */
const PAGE = 1000;

export interface ProjectStateHooks {
  /** The current image changed (selection, navigation, a project opened or closed). */
  currentImageChanged(): void;
}

export class ProjectState {
  appInfo = $state.raw<AppInfo | null>(null);
  info = $state.raw<ProjectInfo | null>(null);
  recent = $state.raw<RecentProject[]>([]);
  images = $state.raw<ImageInfo[]>([]);
  categories = $state.raw<Category[]>([]);
  filter = $state<ImageFilter>('all');
  currentImageId = $state<number | null>(null);
  queue = $state.raw<QueueProgress>({ running: false, done: 0, total: 0, etaMs: null });
  /** Opening or creating a project. */
  busy = $state(false);
  private loadingPath: string | null = null;

  visibleImages = $derived(this.filter === 'all' ? this.images : this.images.filter((image) => image.status === this.filter));
  currentImage = $derived(this.images.find((image) => image.id === this.currentImageId) ?? null);

  constructor(
    private readonly api: MaskLoopClient,
    private readonly notices: Notices,
    private readonly hooks: ProjectStateHooks,
  ) {}

  async start(): Promise<void> {
    try {
      this.appInfo = await this.api.app.info();
      this.recent = await this.api.projects.recent();
      const open = await this.api.projects.info();
      if (open) await this.load(open);
    } catch (error) {
      this.notices.error(error, 'Starting');
    }
  }

  /** Re-reads what the app has loaded (after a checkpoint was added or switched). */
  async refreshAppInfo(): Promise<void> {
    try {
      this.appInfo = await this.api.app.info();
    } catch (error) {
      this.notices.error(error, 'Reading the app state');
    }
  }

  private async refreshRecent(): Promise<void> {
    try {
      this.recent = await this.api.projects.recent();
    } catch (error) {
      this.notices.error(error, 'Reading the recent projects');
    }
  }

  async open(path: string): Promise<void> {
    await this.whileBusy('Opening the project', async () => this.load(await this.api.projects.open({ path })));
  }

  async create(path: string, name?: string): Promise<void> {
    await this.whileBusy('Creating the project', async () => this.load(await this.api.projects.create({ path, name })));
  }

  async close(): Promise<void> {
    try {
      await this.api.projects.close();
    } catch (error) {
      this.notices.error(error, 'Closing the project');
    }
    this.projectChanged(null);
  }

  /** Follows a project opened or closed elsewhere (the desktop menu); our own opens announce themselves too. */
  projectChanged(info: ProjectInfo | null): void {
    if (info) {
      if (info.path !== this.info?.path) void this.load(info).catch((error: unknown) => this.notices.error(error, 'Loading the project'));
    } else {
      this.info = null;
      this.images = [];
      this.categories = [];
      this.setCurrent(null);
      void this.refreshRecent();
    }
  }

  async addImages(paths: string[]): Promise<void> {
    try {
      const report = await this.api.images.add({ paths });
      const skipped = report.skipped.map((file) => `${file.path}: ${file.reason}`).join('; ');
      this.notices.success(`Added ${report.added} image(s), ${report.duplicates} already in the project${skipped ? `; skipped ${skipped}` : ''}.`);
      await this.refreshImages();
    } catch (error) {
      this.notices.error(error, 'Adding images');
    }
  }

  async refreshImages(): Promise<void> {
    const images: ImageInfo[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.api.images.list({ offset, limit: PAGE });
      images.push(...page.items);
      if (images.length >= page.total || page.items.length === 0) break;
    }
    this.images = images;
    if (this.currentImageId === null || !images.some((image) => image.id === this.currentImageId)) this.setCurrent(images[0]?.id ?? null);
  }

  /** Re-reads one image (its status or annotation count changed). */
  async refreshImage(imageId: number): Promise<void> {
    try {
      const fresh = await this.api.images.get({ imageId });
      this.images = this.images.map((image) => (image.id === imageId ? fresh : image));
    } catch (error) {
      this.notices.error(error, `Reading image ${imageId}`);
    }
  }

  select(imageId: number): void {
    this.setCurrent(imageId);
  }

  /** The next (+1) or previous (-1) image in the filtered list. */
  step(direction: 1 | -1): void {
    const list = this.visibleImages;
    if (list.length === 0) return;
    const index = list.findIndex((image) => image.id === this.currentImageId);
    const next = index === -1 ? 0 : Math.min(list.length - 1, Math.max(0, index + direction));
    this.setCurrent(list[next].id);
  }

  private setCurrent(imageId: number | null): void {
    if (imageId === this.currentImageId) return;
    this.currentImageId = imageId;
    this.hooks.currentImageChanged();
  }

  categoryByShortcut(shortcut: number): Category | undefined {
    return this.categories.find((category) => category.shortcut === shortcut);
  }

  async createCategory(name: string): Promise<Category | undefined> {
    try {
      const category = await this.api.categories.create({ name });
      this.categories = [...this.categories, category];
      return category;
    } catch (error) {
      this.notices.error(error, `Creating category "${name}"`);
      return undefined;
    }
  }

  async updateCategory(categoryId: number, patch: { name?: string; color?: string }): Promise<void> {
    try {
      const updated = await this.api.categories.update({ categoryId, ...patch });
      this.categories = this.categories.map((category) => (category.id === categoryId ? updated : category));
    } catch (error) {
      this.notices.error(error, 'Changing the category');
    }
  }

  async deleteCategory(categoryId: number): Promise<void> {
    try {
      await this.api.categories.delete({ categoryId });
      // Shortcuts follow list positions, so the others may have moved up.
      this.categories = await this.api.categories.list();
    } catch (error) {
      this.notices.error(error, 'Deleting the category');
    }
  }

  async startQueue(): Promise<void> {
    try {
      const status = await this.api.embedding.startQueue();
      this.queue = { ...status, etaMs: null };
    } catch (error) {
      this.notices.error(error, 'Starting the embedding queue');
    }
  }

  async cancelQueue(): Promise<void> {
    try {
      const status = await this.api.embedding.cancelQueue();
      this.queue = { ...status, etaMs: null };
    } catch (error) {
      this.notices.error(error, 'Stopping the embedding queue');
    }
  }

  embeddingProgress(progress: EmbeddingProgress): void {
    const { done, failed, total, etaMs, imageId, imageStatus } = progress;
    this.queue = { running: done + failed < total, done, total, etaMs };
    if (imageId !== null && imageStatus !== null) {
      this.images = this.images.map((image) => (image.id === imageId ? { ...image, status: imageStatus } : image));
    }
  }

  private async load(info: ProjectInfo): Promise<void> {
    // The open request's answer and the project.changed event both ask for the same load: once is enough.
    if (this.loadingPath === info.path) return;
    this.loadingPath = info.path;
    try {
      await this.loadNow(info);
    } finally {
      this.loadingPath = null;
    }
  }

  private async loadNow(info: ProjectInfo): Promise<void> {
    this.info = info;
    this.filter = 'all';
    // Another project's ids mean other images: the first image of this one opens even if the id matches.
    this.currentImageId = null;
    this.categories = await this.api.categories.list();
    await this.refreshImages();
    try {
      this.queue = { ...(await this.api.embedding.queueStatus()), etaMs: null };
    } catch (error) {
      this.notices.error(error, 'Reading the embedding queue');
    }
  }

  private async whileBusy(doing: string, work: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await work();
    } catch (error) {
      this.notices.error(error, doing);
    } finally {
      this.busy = false;
    }
  }
}
