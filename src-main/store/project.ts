// A MaskLoop project: one SQLite file and the repositories over it; the only way the rest of the app touches storage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import { AnnotationsRepository } from './annotations.js';
import { CategoriesRepository } from './categories.js';
import { createProjectDatabase, openProjectDatabase, type SqliteDatabase } from './database.js';
import { EmbedJobsRepository } from './embed-jobs.js';
import { EmbeddingCache } from './embedding-cache.js';
import { HistoryRepository, type UndoRedoStep } from './history.js';
import { ImageLibrary } from './image-library.js';
import { ImagesRepository } from './images.js';
import { ModelsRepository } from './models.js';
import { ProjectMetaRepository, type ProjectSettings } from './project-meta.js';
import { TrainingRunsRepository } from './training-runs.js';

export interface ProjectOptions {
  /** Recorded as the author of changes; defaults to the operating-system user. */
  actor?: string;
  /** ms since the epoch; tests pass a controllable clock. */
  now?: () => number;
  /** Called when a damaged cached embedding is found and removed. */
  onCorruptEmbedding?: (imageHash: string, encoderId: string, problem: string) => void;
}

export class Project {
  readonly file: string;
  /** Image paths inside this folder are stored relative to it, so project and images can move together. */
  readonly folder: string;
  readonly actor: string;
  readonly meta: ProjectMetaRepository;
  readonly images: ImagesRepository;
  readonly library: ImageLibrary;
  readonly categories: CategoriesRepository;
  readonly annotations: AnnotationsRepository;
  readonly history: HistoryRepository;
  readonly embeddings: EmbeddingCache;
  readonly embedJobs: EmbedJobsRepository;
  readonly models: ModelsRepository;
  readonly trainingRuns: TrainingRunsRepository;
  private readonly db: SqliteDatabase;

  private constructor(file: string, db: SqliteDatabase, options: ProjectOptions) {
    const now = options.now ?? Date.now;
    this.file = file;
    this.folder = path.dirname(file);
    this.actor = options.actor ?? defaultActor();
    this.db = db;
    this.meta = new ProjectMetaRepository(db);
    this.images = new ImagesRepository(db, this.folder, now);
    this.library = new ImageLibrary(db, this.images);
    this.categories = new CategoriesRepository(db);
    this.history = new HistoryRepository(db, now, {
      annotation: (id, state, actor) => this.annotations.applyState(id, state, actor),
    });
    this.annotations = new AnnotationsRepository(db, this.images, this.categories, this.history, now, this.actor);
    this.embeddings = new EmbeddingCache(db, this.images, {
      budgetBytes: () => this.meta.settings().embeddingCacheBudgetBytes,
      now,
      onCorrupt: options.onCorruptEmbedding,
    });
    this.embedJobs = new EmbedJobsRepository(db, now);
    this.models = new ModelsRepository(db, now);
    this.trainingRuns = new TrainingRunsRepository(db, now);
  }

  /** Creates `file` (which must not exist) as an empty project. The file appears complete or not at all. */
  static create(file: string, name: string, options: ProjectOptions = {}): Project {
    const target = path.resolve(file);
    if (fs.existsSync(target)) {
      throw new MaskLoopError('PROJECT', `${target} already exists. Choose another name, or open it as a project.`);
    }
    if (!fs.existsSync(path.dirname(target))) {
      throw new MaskLoopError('FILE_NOT_FOUND', `Folder ${path.dirname(target)} does not exist; create it first.`);
    }
    const staging = `${target}.creating-${process.pid}`;
    try {
      const db = createProjectDatabase(staging);
      try {
        new ProjectMetaRepository(db).initialise(name, (options.now ?? Date.now)());
      } finally {
        // Closing checkpoints the WAL into the file and removes it, so the file alone can be renamed.
        db.close();
      }
    } catch (error) {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(staging + suffix, { force: true });
      throw error;
    }
    fs.renameSync(staging, target);
    return Project.open(target, options);
  }

  /** Opens an existing project, migrating an older schema; cheap however many images it holds. */
  static open(file: string, options: ProjectOptions = {}): Project {
    const target = path.resolve(file);
    const db = openProjectDatabase(target);
    try {
      const project = new Project(target, db, options);
      project.meta.settings();
      return project;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get name(): string {
    return this.meta.name;
  }

  settings(): ProjectSettings {
    return this.meta.settings();
  }

  updateSettings(patch: Partial<ProjectSettings>): ProjectSettings {
    const settings = this.meta.updateSettings(patch);
    this.embeddings.evictToBudget();
    return settings;
  }

  undo(): UndoRedoStep | undefined {
    return this.history.undo(this.actor);
  }

  redo(): UndoRedoStep | undefined {
    return this.history.redo(this.actor);
  }

  /** Annotations created or edited since the history position of the last successful fine-tune. */
  correctionsSinceLastFineTune(): number {
    return this.history.countCorrectionsAfter(this.trainingRuns.latestSucceeded()?.historyCursor ?? 0);
  }

  /** Runs `work` as one transaction (nested calls become savepoints): all its writes land, or none do. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** SQLite's full consistency check of the file: ['ok'] when intact, else the problems it found. */
  checkIntegrity(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }
}

function defaultActor(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
