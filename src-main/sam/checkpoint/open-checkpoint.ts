// Opens a SAM checkpoint file as a StateDict, recognising PyTorch zip or safetensors by content, not by extension.
import fs from 'node:fs';
import { MaskLoopError } from '../../errors.js';
import { fileLabel } from './file-state-dict.js';
import { openSafetensors } from './safetensors.js';
import type { StateDict } from './state-dict.js';
import { openTorchZip } from './torch-zip.js';

const SNIFF_LENGTH = 9;
const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];
const PICKLE_PROTO = 0x80;
/** Real safetensors headers are kilobytes to a few megabytes; a larger "length" means the file is something else. */
const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

type CheckpointFormat = 'torch-zip' | 'safetensors';

/**
 * Opens `filePath` (a PyTorch .pth zip archive or a .safetensors file) for reading tensors on demand.
 * Throws MaskLoopError FILE_NOT_FOUND, NOT_A_CHECKPOINT, TRUNCATED_FILE or UNSUPPORTED_TENSOR.
 */
export async function openCheckpoint(filePath: string): Promise<StateDict> {
  const format = sniffCheckpointFormat(await readHead(filePath), filePath);
  return format === 'torch-zip' ? openTorchZip(filePath) : openSafetensors(filePath);
}

async function readHead(filePath: string): Promise<Uint8Array> {
  let file: fs.promises.FileHandle;
  try {
    file = await fs.promises.open(filePath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new MaskLoopError(
        'FILE_NOT_FOUND',
        `${filePath} does not exist: check the path, or download a SAM checkpoint such as sam_vit_b_01ec64.pth.`,
        { cause: error },
      );
    }
    throw new MaskLoopError('NOT_A_CHECKPOINT', `${filePath} cannot be opened (${code ?? 'unknown error'}); choose a readable checkpoint file.`, {
      cause: error,
    });
  }
  try {
    const stat = await file.stat();
    if (stat.isDirectory()) {
      throw new MaskLoopError('NOT_A_CHECKPOINT', `${filePath} is a folder; choose the checkpoint file inside it (.pth or .safetensors).`);
    }
    const head = new Uint8Array(SNIFF_LENGTH);
    const { bytesRead } = await file.read(head, 0, SNIFF_LENGTH, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** in: the first bytes of the file; out: its checkpoint format, or a MaskLoopError that says what the file is instead. */
function sniffCheckpointFormat(head: Uint8Array, filePath: string): CheckpointFormat {
  const label = fileLabel(filePath);
  if (head.length === 0) {
    throw new MaskLoopError('TRUNCATED_FILE', `${label} is empty: the download or copy did not finish; download the checkpoint again.`);
  }
  if (startsWith(head, ZIP_LOCAL_HEADER) || startsWith(head, ZIP_EMPTY_ARCHIVE)) return 'torch-zip';
  if (head.length === SNIFF_LENGTH && head[8] === 0x7b /* { */) {
    const headerLength = new DataView(head.buffer, head.byteOffset).getBigUint64(0, true);
    if (headerLength > 1n && headerLength <= BigInt(MAX_SAFETENSORS_HEADER)) return 'safetensors';
  }
  if (head[0] === PICKLE_PROTO) {
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${label} is in PyTorch's legacy (pre-1.6) format, which MaskLoop does not read; re-save it with torch.save in PyTorch 1.6 or later.`,
    );
  }
  throw new MaskLoopError(
    'NOT_A_CHECKPOINT',
    `${label} is not a SAM checkpoint: expected a PyTorch .pth (zip) or .safetensors file.`,
  );
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}
