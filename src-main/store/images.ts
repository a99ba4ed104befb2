// Image rows: where each file is, its size after EXIF orientation, content hash and labelling status.
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';

export const IMAGE_STATUSES = ['new', 'embedding', 'ready', 'labelled', 'missing'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export const IMAGE_FORMATS = ['jpeg', 'png', 'tiff', 'webp', 'bmp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface ImageRecord {
  id: number;
  /** As stored: relative to the project folder with '/' separators when inside it, else absolute. */
  storedPath: string;
  absolutePath: string;
  fileName: string;
  /** Pixels after EXIF orientation is applied (what the annotator sees and what masks cover). */
  width: number;
  height: number;
  byteSize: number;
  format: ImageFormat;
  /** sha256 of the file's bytes, lowercase hex. */
  contentHash: string;
  status: ImageStatus;
  /** ms since the epoch. */
  addedAt: number;
}

export interface NewImage {
  absolutePath: string;
  width: number;
  height: number;
  byteSize: number;
  format: ImageFormat;
  contentHash: string;
}

export interface ImagePage {
  offset?: number;
  limit?: number;
  status?: ImageStatus;
}

interface ImageRow {
  id: number;
  path: string;
  width: number;
  height: number;
  byte_size: number;
  format: ImageFormat;
  content_hash: string;
  status: ImageStatus;
  added_at: number;
}

const IMAGE_COLUMNS = 'id, path, width, height, byte_size, format, content_hash, status, added_at';
const MAX_PAGE = 1000;

/** Derives an image's status from its annotations and cached embeddings; a missing image stays missing. */
const RECOMPUTED_STATUS = `CASE
    WHEN EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = images.id AND a.deleted = 0) THEN 'labelled'
    WHEN EXISTS (SELECT 1 FROM embeddings e WHERE e.image_hash = images.content_hash) THEN 'ready'
    ELSE 'new' END`;

export class ImagesRepository {
  private readonly statements;

  constructor(
    db: SqliteDatabase,
    private readonly projectFolder: string,
    private readonly now: () => number,
  ) {
    this.statements = {
      insert: db.prepare<[string, number, number, number, string, string, number], ImageRow>(
        `INSERT INTO images (path, width, height, byte_size, format, content_hash, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${IMAGE_COLUMNS}`,
      ),
      byId: db.prepare<[number], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`),
      byHash: db.prepare<[string], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE content_hash = ?`),
      page: db.prepare<[number, number], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images ORDER BY id LIMIT ? OFFSET ?`),
      pageWithStatus: db.prepare<[string, number, number], ImageRow>(
        `SELECT ${IMAGE_COLUMNS} FROM images WHERE status = ? ORDER BY id LIMIT ? OFFSET ?`,
      ),
      withStatus: db.prepare<[string], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE status = ? ORDER BY id`),
      all: db.prepare<[], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images ORDER BY id`),
      countByStatus: db.prepare<[], { status: ImageStatus; n: number }>('SELECT status, count(*) AS n FROM images GROUP BY status'),
      setPath: db.prepare<[string, number]>('UPDATE images SET path = ? WHERE id = ?'),
      markMissing: db.prepare<[number]>("UPDATE images SET status = 'missing' WHERE id = ?"),
      markEmbedding: db.prepare<[number]>("UPDATE images SET status = 'embedding' WHERE id = ? AND status IN ('new', 'ready')"),
      recomputeStatus: db.prepare<[number]>(`UPDATE images SET status = ${RECOMPUTED_STATUS} WHERE id = ? AND status <> 'missing'`),
      recomputeStatusOfFound: db.prepare<[number]>(`UPDATE images SET status = ${RECOMPUTED_STATUS} WHERE id = ?`),
      recomputeStatusByHash: db.prepare<[string]>(
        `UPDATE images SET status = ${RECOMPUTED_STATUS} WHERE content_hash = ? AND status <> 'missing'`,
      ),
    };
  }

  insert(image: NewImage): ImageRecord {
    const row = this.statements.insert.get(
      this.toStoredPath(image.absolutePath),
      image.width,
      image.height,
      image.byteSize,
      image.format,
      image.contentHash,
      this.now(),
    );
    return this.toRecord(row!);
  }

  get(id: number): ImageRecord | undefined {
    const row = this.statements.byId.get(id);
    return row && this.toRecord(row);
  }

  /** Like get, for callers that hold an id the user picked: an unknown id is an error. */
  require(id: number): ImageRecord {
    const image = this.get(id);
    if (!image) throw new MaskLoopError('NOT_FOUND', `Image ${id} is not in this project; it may have been removed.`);
    return image;
  }

  getByHash(contentHash: string): ImageRecord | undefined {
    const row = this.statements.byHash.get(contentHash);
    return row && this.toRecord(row);
  }

  /** One page in the order images were added; uses the primary key or the (status, id) index, never a full scan. */
  list(page: ImagePage = {}): ImageRecord[] {
    const offset = page.offset ?? 0;
    const limit = page.limit ?? 100;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new MaskLoopError('INVALID_ARGUMENT', `An image page needs offset >= 0 and 1 <= limit <= ${MAX_PAGE} (got ${offset}, ${limit}).`);
    }
    const rows = page.status
      ? this.statements.pageWithStatus.all(page.status, limit, offset)
      : this.statements.page.all(limit, offset);
    return rows.map((row) => this.toRecord(row));
  }

  listWithStatus(status: ImageStatus): ImageRecord[] {
    return this.statements.withStatus.all(status).map((row) => this.toRecord(row));
  }

  listAll(): ImageRecord[] {
    return this.statements.all.all().map((row) => this.toRecord(row));
  }

  /** Counts per status from the (status, id) index; statuses with no image are 0. */
  countByStatus(): Record<ImageStatus, number> {
    const counts = Object.fromEntries(IMAGE_STATUSES.map((s) => [s, 0])) as Record<ImageStatus, number>;
    for (const { status, n } of this.statements.countByStatus.all()) counts[status] = n;
    return counts;
  }

  count(status?: ImageStatus): number {
    const counts = this.countByStatus();
    return status ? counts[status] : IMAGE_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  }

  setPath(id: number, absolutePath: string): void {
    this.statements.setPath.run(this.toStoredPath(absolutePath), id);
  }

  markMissing(id: number): void {
    this.statements.markMissing.run(id);
  }

  /** Only images that are new or ready change; a labelled image keeps showing as labelled. */
  markEmbedding(id: number): void {
    this.statements.markEmbedding.run(id);
  }

  /** Re-derives status after annotations or embeddings changed (labelled > ready > new); missing is kept. */
  recomputeStatus(id: number): void {
    this.statements.recomputeStatus.run(id);
  }

  recomputeStatusByHash(contentHash: string): void {
    this.statements.recomputeStatusByHash.run(contentHash);
  }

  /** For an image whose file is there again: leaves 'missing' for the status its data implies. */
  markFound(id: number): void {
    this.statements.recomputeStatusOfFound.run(id);
  }

  private toStoredPath(absolutePath: string): string {
    const relative = path.relative(this.projectFolder, absolutePath);
    const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    const inside = relative !== '' && !outside;
    return inside ? relative.split(path.sep).join('/') : path.resolve(absolutePath);
  }

  private toRecord(row: ImageRow): ImageRecord {
    const absolutePath = path.isAbsolute(row.path) ? row.path : path.resolve(this.projectFolder, ...row.path.split('/'));
    return {
      id: row.id,
      storedPath: row.path,
      absolutePath,
      fileName: path.basename(absolutePath),
      width: row.width,
      height: row.height,
      byteSize: row.byte_size,
      format: row.format,
      contentHash: row.content_hash,
      status: row.status,
      addedAt: row.added_at,
    };
  }
}
