// Cached SAM image embeddings keyed by (image content hash, encoder id): float16 blobs under a size budget, LRU eviction.
import { z } from 'zod';
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';
import { float16BytesToFloat32, float32ToFloat16Bytes } from './float16.js';
import type { ImagesRepository } from './images.js';

export type EmbeddingRead =
  | { kind: 'hit'; embedding: Float32Array; shape: number[] }
  | { kind: 'miss' }
  /** The stored blob was damaged; its row is gone, so the image must be embedded again. */
  | { kind: 'corrupt'; problem: string };

export interface EmbeddingCacheOptions {
  /** Read on every put, so a changed project setting applies at once. */
  budgetBytes: () => number;
  now: () => number;
  /** Called for each damaged blob found (and removed), e.g. to log it. */
  onCorrupt?: (imageHash: string, encoderId: string, problem: string) => void;
}

interface EmbeddingRow {
  id: number;
  shape: string;
  bytes: number;
  last_used_at: number;
  data: Buffer;
}

/**
 * Recency is refreshed at most this often per entry, so reads do not each cost a durable commit;
 * eviction order is exact to this granularity, which is far finer than a working session.
 */
export const LRU_TOUCH_INTERVAL_MS = 60_000;
const FLOAT16_BYTES = 2;
const shapeSchema = z.array(z.number().int().positive()).min(1);

export class EmbeddingCache {
  private readonly statements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly images: ImagesRepository,
    private readonly options: EmbeddingCacheOptions,
  ) {
    this.statements = {
      select: db.prepare<[string, string], EmbeddingRow>(
        'SELECT id, shape, bytes, last_used_at, data FROM embeddings WHERE image_hash = ? AND encoder_id = ?',
      ),
      exists: db.prepare<[string, string], { id: number }>('SELECT id FROM embeddings WHERE image_hash = ? AND encoder_id = ?'),
      touch: db.prepare<[number, number]>('UPDATE embeddings SET last_used_at = ? WHERE id = ?'),
      upsert: db.prepare<[string, string, string, number, number, number, Uint8Array], { id: number }>(
        `INSERT INTO embeddings (image_hash, encoder_id, dtype, shape, bytes, created_at, last_used_at, data)
         VALUES (?, ?, 'float16', ?, ?, ?, ?, ?)
         ON CONFLICT (image_hash, encoder_id) DO UPDATE SET
           shape = excluded.shape, bytes = excluded.bytes, created_at = excluded.created_at,
           last_used_at = excluded.last_used_at, data = excluded.data
         RETURNING id`,
      ),
      remove: db.prepare<[number]>('DELETE FROM embeddings WHERE id = ?'),
      removeByKey: db.prepare<[string, string]>('DELETE FROM embeddings WHERE image_hash = ? AND encoder_id = ?'),
      totals: db.prepare<[], { bytes: number; n: number }>('SELECT total(bytes) AS bytes, count(*) AS n FROM embeddings'),
      leastRecentlyUsed: db.prepare<[number], { id: number; image_hash: string; bytes: number }>(
        'SELECT id, image_hash, bytes FROM embeddings WHERE id <> ? ORDER BY last_used_at, id',
      ),
    };
  }

  /**
   * The embedding as float32 (row-major in its stored shape, e.g. [1,256,64,64]), or undefined when
   * absent or found damaged. Pass `into` (of the right length) to reuse one array per session: a new
   * 4 MiB array per read costs more in page faults than the decoding itself.
   */
  get(imageHash: string, encoderId: string, into?: Float32Array): Float32Array | undefined {
    const read = this.read(imageHash, encoderId, into);
    return read.kind === 'hit' ? read.embedding : undefined;
  }

  read(imageHash: string, encoderId: string, into?: Float32Array): EmbeddingRead {
    const row = this.statements.select.get(imageHash, encoderId);
    if (!row) return { kind: 'miss' };
    const checked = checkBlob(row);
    if ('problem' in checked) {
      this.db.transaction(() => {
        this.statements.remove.run(row.id);
        this.images.recomputeStatusByHash(imageHash);
      })();
      this.options.onCorrupt?.(imageHash, encoderId, checked.problem);
      return { kind: 'corrupt', problem: checked.problem };
    }
    const now = this.options.now();
    if (now - row.last_used_at >= LRU_TOUCH_INTERVAL_MS) this.statements.touch.run(now, row.id);
    const elements = row.data.byteLength / FLOAT16_BYTES;
    if (into && into.length !== elements) {
      throw new MaskLoopError('INVALID_ARGUMENT', `The embedding has ${elements} values; the array to read it into has ${into.length}.`);
    }
    return { kind: 'hit', embedding: float16BytesToFloat32(row.data, into), shape: checked.shape };
  }

  has(imageHash: string, encoderId: string): boolean {
    return this.statements.exists.get(imageHash, encoderId) !== undefined;
  }

  /**
   * Stores (or replaces) an embedding as float16, then evicts least recently used entries other
   * than this one until the cache fits its budget. Returns how many entries were evicted.
   */
  put(imageHash: string, encoderId: string, embedding: Float32Array, shape: readonly number[]): { evicted: number } {
    const elements = shape.reduce((product, dim) => product * dim, 1);
    if (!shapeSchema.safeParse(shape).success || elements !== embedding.length) {
      throw new MaskLoopError('INVALID_ARGUMENT', `An embedding of ${embedding.length} values does not have shape [${shape.join(', ')}].`);
    }
    if (encoderId.trim() === '') throw new MaskLoopError('INVALID_ARGUMENT', 'An embedding needs the id of the encoder that made it.');
    const blob = float32ToFloat16Bytes(embedding);
    return this.db.transaction(() => {
      const now = this.options.now();
      const { id } = this.statements.upsert.get(imageHash, encoderId, JSON.stringify(shape), blob.byteLength, now, now, blob)!;
      this.images.recomputeStatusByHash(imageHash);
      return { evicted: this.evictToBudget(id) };
    })();
  }

  delete(imageHash: string, encoderId: string): void {
    this.db.transaction(() => {
      this.statements.removeByKey.run(imageHash, encoderId);
      this.images.recomputeStatusByHash(imageHash);
    })();
  }

  /** Bytes of all cached blobs and their count, from the (last_used_at, id, bytes) index. */
  totals(): { bytes: number; count: number } {
    const { bytes, n } = this.statements.totals.get()!;
    return { bytes, count: n };
  }

  /** Evicts least recently used entries, sparing `keepId`, until the total fits the budget. */
  evictToBudget(keepId = 0): number {
    const budget = this.options.budgetBytes();
    let total = this.totals().bytes;
    const victims: { id: number; image_hash: string }[] = [];
    for (const row of this.statements.leastRecentlyUsed.iterate(keepId)) {
      if (total <= budget) break;
      victims.push(row);
      total -= row.bytes;
    }
    this.db.transaction(() => {
      for (const victim of victims) {
        this.statements.remove.run(victim.id);
        this.images.recomputeStatusByHash(victim.image_hash);
      }
    })();
    return victims.length;
  }
}

/** The blob's shape, or what is wrong with the row (a blob whose length does not match its shape). */
function checkBlob(row: EmbeddingRow): { shape: number[] } | { problem: string } {
  let shape: unknown;
  try {
    shape = JSON.parse(row.shape);
  } catch {
    return { problem: `its shape ${row.shape} is not JSON` };
  }
  const parsed = shapeSchema.safeParse(shape);
  if (!parsed.success) return { problem: `its shape ${row.shape} is not a list of positive integers` };
  const expected = parsed.data.reduce((product, dim) => product * dim, 1) * FLOAT16_BYTES;
  if (row.data.byteLength !== expected || row.bytes !== expected) {
    return {
      problem: `its blob has ${row.data.byteLength} bytes (recorded ${row.bytes}), but shape [${parsed.data.join(', ')}] in float16 needs ${expected}`,
    };
  }
  return { shape: parsed.data };
}
