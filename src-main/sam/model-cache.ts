// Where built ONNX graphs live on disk, keyed by the checkpoint's content hash, so a second load skips the build.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';

export function defaultCacheDir(): string {
  if (process.env.MASKLOOP_CACHE_DIR) return process.env.MASKLOOP_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'maskloop');
}

interface HashMemo {
  [realPath: string]: { size: number; mtimeMs: number; sha256: string };
}

/**
 * sha256 of a file, streamed; remembered by (path, size, mtime) so that reopening a 2.5 GB checkpoint
 * does not hash it again.
 */
export async function fileSha256(file: string, cacheDir = defaultCacheDir()): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new MaskLoopError('FILE_NOT_FOUND', `${file} does not exist: check the path.`);
  }
  const realPath = fs.realpathSync(file);
  const memoFile = path.join(cacheDir, 'file-hashes.json');
  const memo = readJson<HashMemo>(memoFile) ?? {};
  const known = memo[realPath];
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;

  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  memo[realPath] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
  writeJsonAtomic(memoFile, memo);
  return sha256;
}

export interface BuiltModelFiles {
  dir: string;
  encoder: string;
  /** The official export format (all four masks), for other SAM tools. */
  decoder: string;
  /** The same decoder returning only SamPredictor's single-mask answer, for speed. */
  decoderSingle: string;
  /** The same decoder returning only the three multimask candidates. */
  decoderMulti: string;
  meta: string;
}

export function builtModelFiles(sha256: string, cacheDir = defaultCacheDir()): BuiltModelFiles {
  const dir = path.join(cacheDir, 'models', sha256.slice(0, 32));
  return {
    dir,
    encoder: path.join(dir, 'image_encoder.onnx'),
    decoder: path.join(dir, 'sam_decoder.onnx'),
    decoderSingle: path.join(dir, 'sam_decoder_single.onnx'),
    decoderMulti: path.join(dir, 'sam_decoder_multi.onnx'),
    meta: path.join(dir, 'meta.json'),
  };
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Write to a temporary file and rename, so readers never see half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2));
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}
