// Settings that outlive a project: recent projects and known checkpoints, one JSON file in the app's data folder.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const settingsSchema = z.object({
  recentProjects: z.array(z.object({ path: z.string(), name: z.string(), openedAt: z.string() })).default([]),
  checkpoints: z.array(z.object({ id: z.string(), name: z.string(), path: z.string(), variant: z.string() })).default([]),
  activeCheckpointId: z.string().nullable().default(null),
});

export type AppSettingsData = z.output<typeof settingsSchema>;
export type KnownCheckpoint = AppSettingsData['checkpoints'][number];

const RECENT_LIMIT = 10;

export class AppSettings {
  private data: AppSettingsData;

  constructor(readonly file: string) {
    this.data = readSettings(file);
  }

  get recentProjects(): AppSettingsData['recentProjects'] {
    return this.data.recentProjects;
  }

  get checkpoints(): KnownCheckpoint[] {
    return this.data.checkpoints;
  }

  get activeCheckpointId(): string | null {
    return this.data.activeCheckpointId;
  }

  rememberProject(projectPath: string, name: string, openedAt: Date): void {
    const others = this.data.recentProjects.filter((recent) => recent.path !== projectPath);
    this.update({ recentProjects: [{ path: projectPath, name, openedAt: openedAt.toISOString() }, ...others].slice(0, RECENT_LIMIT) });
  }

  /** Adds or replaces (by id) a checkpoint. */
  rememberCheckpoint(checkpoint: KnownCheckpoint): void {
    this.update({ checkpoints: [...this.data.checkpoints.filter((known) => known.id !== checkpoint.id), checkpoint] });
  }

  setActiveCheckpoint(id: string | null): void {
    this.update({ activeCheckpointId: id });
  }

  private update(patch: Partial<AppSettingsData>): void {
    this.data = { ...this.data, ...patch };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const staging = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(staging, JSON.stringify(this.data, null, 2));
    fs.renameSync(staging, this.file);
  }
}

/** A missing or damaged settings file starts empty rather than stopping the app: nothing in it is precious. */
function readSettings(file: string): AppSettingsData {
  try {
    return settingsSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return settingsSchema.parse({});
  }
}
