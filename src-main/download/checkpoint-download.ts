// Downloads a large file resumably: streams to `<file>.part`, resumes with HTTP Range after a cut,
// verifies size and sha256, and only then renames it into place. Used for the official SAM checkpoints.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MaskLoopError } from '../errors.js';

export type OfficialVariant = 'vit_b' | 'vit_l' | 'vit_h';

export interface DownloadTarget {
  url: string;
  /** Expected size in bytes. */
  size: number;
  /** Expected sha256, lowercase hex. */
  sha256: string;
}

export interface OfficialCheckpoint extends DownloadTarget {
  fileName: string;
}

const OFFICIAL_BASE_URL = 'https://dl.fbaipublicfiles.com/segment_anything';

/** Meta's published files; sizes and sha256 as listed by the projects that pin them (e.g. micro-sam's registry). */
const OFFICIAL_FILES: Record<OfficialVariant, { fileName: string; size: number; sha256: string }> = {
  vit_b: { fileName: 'sam_vit_b_01ec64.pth', size: 375_042_383, sha256: 'ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912' },
  vit_l: { fileName: 'sam_vit_l_0b3195.pth', size: 1_249_524_607, sha256: '3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622' },
  vit_h: { fileName: 'sam_vit_h_4b8939.pth', size: 2_564_550_879, sha256: 'a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e' },
};

/** `baseUrl` replaces Meta's server (a mirror, or a local server in tests). */
export function officialCheckpoint(variant: OfficialVariant, baseUrl = OFFICIAL_BASE_URL): OfficialCheckpoint {
  const file = OFFICIAL_FILES[variant];
  return { ...file, url: `${baseUrl.replace(/\/$/, '')}/${file.fileName}` };
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Called as bytes arrive (at most every `progressIntervalMs`) and once at the end; `received` only grows. */
  onProgress?: (received: number, total: number) => void;
  progressIntervalMs?: number;
  /** Reconnections after a cut before giving up. */
  retries?: number;
  retryDelayMs?: number;
}

/**
 * Downloads `target` to `destination`. An existing `.part` file is resumed; a cancelled download
 * keeps its `.part` for the next attempt; a file whose checksum is wrong is deleted.
 */
export async function downloadFile(target: DownloadTarget, destination: string, options: DownloadOptions = {}): Promise<string> {
  const { signal, retries = 5, retryDelayMs = 500 } = options;
  const partFile = `${destination}.part`;
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  const progress = throttledProgress(target.size, options);

  for (let attempt = 0; ; attempt++) {
    throwIfCancelled(signal, destination);
    try {
      await fetchRemainder(target, partFile, signal, progress.report);
      break;
    } catch (error) {
      if (signal?.aborted) throwIfCancelled(signal, destination);
      if (error instanceof MaskLoopError || attempt >= retries) throw asDownloadError(error, target.url);
      await sleep(retryDelayMs);
    }
  }
  progress.finish();

  const sha256 = await fileSha256(partFile);
  if (sha256 !== target.sha256) {
    fs.rmSync(partFile, { force: true });
    throw new MaskLoopError(
      'DOWNLOAD',
      `The download of ${target.url} is corrupt (sha256 ${sha256}, expected ${target.sha256}); the partial file was removed. Try again, or download the file yourself and add it with "Add checkpoint".`,
    );
  }
  fs.renameSync(partFile, destination);
  return destination;
}

/** Appends the bytes the `.part` file lacks; resolves when it holds `target.size` bytes. */
async function fetchRemainder(target: DownloadTarget, partFile: string, signal: AbortSignal | undefined, report: (received: number) => void) {
  let start = fs.existsSync(partFile) ? fs.statSync(partFile).size : 0;
  if (start > target.size) {
    fs.rmSync(partFile);
    start = 0;
  }
  if (start === target.size) return;

  const response = await fetch(target.url, { signal, headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
  if (response.status === 200 && start > 0) {
    // The server ignored the Range header: it sends the whole file again.
    start = 0;
  } else if (response.status !== 206 && response.status !== 200) {
    await response.body?.cancel();
    throw new MaskLoopError('DOWNLOAD', `The server answered ${response.status} ${response.statusText} for ${target.url}: check the address or try later.`);
  }
  if (!response.body) throw new MaskLoopError('DOWNLOAD', `The server sent no data for ${target.url}.`);

  const reader = response.body.getReader();
  const out = fs.createWriteStream(partFile, { flags: start > 0 ? 'a' : 'w' });
  let received = start;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const chunk = next.value;
      received += chunk.byteLength;
      if (received > target.size) {
        throw new MaskLoopError('DOWNLOAD', `${target.url} is larger than the expected ${target.size} bytes: it is not the official file.`);
      }
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      report(received);
    }
  } catch (error) {
    // Frees the connection when we stop reading before the server stops sending.
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  if (received < target.size) throw new Error(`connection closed after ${received} of ${target.size} bytes`);
}

function throttledProgress(total: number, options: DownloadOptions) {
  const interval = options.progressIntervalMs ?? 200;
  let lastAt = 0;
  let lastReported = -1;
  let latest = 0;
  return {
    report(received: number) {
      latest = received;
      const now = Date.now();
      if (now - lastAt < interval || received <= lastReported) return;
      lastAt = now;
      lastReported = received;
      options.onProgress?.(received, total);
    },
    finish() {
      if (latest > lastReported) options.onProgress?.(total, total);
    },
  };
}

function throwIfCancelled(signal: AbortSignal | undefined, destination: string): void {
  if (signal?.aborted) {
    throw new MaskLoopError('CANCELLED', `The download of ${path.basename(destination)} was cancelled; starting it again resumes where it stopped.`);
  }
}

function asDownloadError(error: unknown, url: string): MaskLoopError {
  if (error instanceof MaskLoopError) return error;
  const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new MaskLoopError('DOWNLOAD', `Could not download ${url} (${reason}). Check the internet connection; starting it again resumes where it stopped.`, {
    cause: error,
  });
}

async function fileSha256(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
