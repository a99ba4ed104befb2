// Test helper: a project in a fresh temp folder, a controllable clock, and a synthetic image row or annotation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { NewAnnotation } from '../../src-main/store/annotations.js';
import type { ImageRecord } from '../../src-main/store/images.js';
import { Project } from '../../src-main/store/project.js';

export interface TestClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** Run in reverse order when the test file ends: projects close before their folders go. */
const cleanups: (() => void)[] = [];
after(() => cleanups.reverse().forEach((cleanup) => cleanup()));

/** A temp folder removed when the test file ends. */
export function tempFolder(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-store-'));
  cleanups.push(() => fs.rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** Closes the project when the test file ends (closing twice is harmless). */
export function closeAtEnd(project: Project): Project {
  cleanups.push(() => project.close());
  return project;
}

export function tempProject(clock: TestClock = testClock()): { project: Project; folder: string; file: string } {
  const folder = tempFolder();
  const file = path.join(folder, 'test.maskloop');
  const project = closeAtEnd(Project.create(file, 'Test project', { now: clock.now, actor: 'tester' }));
  return { project, folder, file };
}

/** An image row for a file that need not exist; the hash is derived from `seed`. */
export function insertImage(project: Project, seed: number, size: { width: number; height: number } = { width: 64, height: 48 }): ImageRecord {
  return project.images.insert({
    absolutePath: path.join(project.folder, 'images', `image-${seed}.png`),
    width: size.width,
    height: size.height,
    byteSize: 1000 + seed,
    format: 'png',
    contentHash: seed.toString(16).padStart(64, '0'),
  });
}

/** A valid annotation for `image`: the store keeps RLE counts opaque, so any non-empty string will do. */
export function annotationOn(image: ImageRecord, categoryId: number, counts = 'PP0Q1'): NewAnnotation {
  return {
    imageId: image.id,
    categoryId,
    mask: { counts, size: [image.height, image.width] },
    bbox: [2, 3, 10, 12],
    area: 100,
    iouPrediction: 0.91,
    source: 'sam',
  };
}
