// Recognises Windows BMP files and reads their size from the header (the bundled libvips has no BMP loader).
import { isMaskLoopError } from '../errors.js';
import { isBmp, readBmpSize as readBmpHeaderSize } from '../sam/bmp.js';

/** The size of a BMP from its first 26 bytes; undefined when the bytes are not a BMP header. */
export function readBmpSize(header: Uint8Array): { format: 'bmp'; width: number; height: number } | undefined {
  if (!isBmp(header)) return undefined;
  try {
    return { format: 'bmp', ...readBmpHeaderSize(header, 'the file') };
  } catch (error) {
    if (isMaskLoopError(error)) return undefined;
    throw error;
  }
}
