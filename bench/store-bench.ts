// Store benchmark: opening a 10,000-image / 50,000-annotation project and reading one cached SAM embedding.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAM_EMBEDDING_SHAPE } from '../src-main/store/embed-queue.js';
import { Project } from '../src-main/store/project.js';
import { medianMs } from './stats.js';

const IMAGES = 10_000;
const ANNOTATIONS_PER_IMAGE = 5;
const IMAGE_SIZE = { width: 1024, height: 768 };
const FIRST_PAGE = 100;

/** A compressed-RLE-like string of the length pycocotools writes for a stamp-sized mask on a 1024x768 page. */
function syntheticRleCounts(seed: number): string {
  const alphabet = '0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz';
  let counts = '';
  for (let i = 0; i < 320; i++) counts += alphabet[(seed * 31 + i * 17) % alphabet.length];
  return counts;
}

/** Fills the project in one transaction through the repositories, the way a COCO import does (no history rows). */
function fillProject(project: Project): void {
  project.transaction(() => {
    const categories = ['stamp', 'signature', 'seal'].map((name) => project.categories.create({ name }));
    for (let i = 0; i < IMAGES; i++) {
      const image = project.images.insert({
        absolutePath: path.join(project.folder, 'scans', `page-${i}.jpg`),
        ...IMAGE_SIZE,
        byteSize: 200_000 + i,
        format: 'jpeg',
        contentHash: i.toString(16).padStart(64, '0'),
      });
      for (let k = 0; k < ANNOTATIONS_PER_IMAGE; k++) {
        project.annotations.create({
          imageId: image.id,
          categoryId: categories[k % categories.length].id,
          mask: { counts: syntheticRleCounts(i * ANNOTATIONS_PER_IMAGE + k), size: [IMAGE_SIZE.height, IMAGE_SIZE.width] },
          bbox: [100 + k * 50, 200, 120, 90],
          area: 9000,
          source: 'imported',
        }, { recordHistory: false });
      }
    }
  });
}

/** What the app does on opening a project: open the file, then show the first page of images and the counts. */
function openAndShowFirstPage(file: string): Project {
  const project = Project.open(file);
  project.images.list({ offset: 0, limit: FIRST_PAGE });
  project.images.countByStatus();
  project.categories.list();
  project.history.canUndo();
  return project;
}

export async function benchStore(): Promise<{ project_open_ms: number; embedding_cache_read_ms: number }> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-store-bench-'));
  try {
    const file = path.join(folder, 'bench.maskloop');
    const project = Project.create(file, 'Store benchmark');
    fillProject(project);
    const embedding = Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i));
    const imageHash = project.images.require(1).contentHash;
    project.embeddings.put(imageHash, 'vit_b:bench', embedding, SAM_EMBEDDING_SHAPE);
    project.close();

    // Read back in a later session, as the app does when the user returns to an image.
    const reader = Project.open(file);
    // One array reused across reads, as the predictor's session does (see EmbeddingCache.get).
    const into = new Float32Array(embedding.length);
    const embedding_cache_read_ms = await medianMs(() => reader.embeddings.get(imageHash, 'vit_b:bench', into), 21, 5);
    reader.close();

    // Closing is left out of the timing: it is not what the user waits for.
    const opened: Project[] = [];
    const project_open_ms = await medianMs(() => opened.push(openAndShowFirstPage(file)), 7, 1);
    for (const openedProject of opened) openedProject.close();
    return { project_open_ms, embedding_cache_read_ms };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
