// Recognises Windows BMP files and reads their size from the header (the bundled libvips has no BMP loader).

const BMP_MAGIC = 0x4d42; // "BM", little-endian
const CORE_HEADER_SIZE = 12;
const INFO_HEADER_MIN_SIZE = 40;

/** The size of a BMP from its first 26 bytes; undefined when the bytes are not a BMP header. */
export function readBmpSize(header: Uint8Array): { format: 'bmp'; width: number; height: number } | undefined {
  if (header.byteLength < 26) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint16(0, true) !== BMP_MAGIC) return undefined;
  const dibHeaderSize = view.getUint32(14, true);
  let width: number;
  let height: number;
  if (dibHeaderSize === CORE_HEADER_SIZE) {
    width = view.getUint16(18, true);
    height = view.getUint16(20, true);
  } else if (dibHeaderSize >= INFO_HEADER_MIN_SIZE) {
    width = view.getInt32(18, true);
    // A negative height marks a top-down bitmap; the size is its absolute value.
    height = Math.abs(view.getInt32(22, true));
  } else {
    return undefined;
  }
  return width > 0 && height > 0 ? { format: 'bmp', width, height } : undefined;
}
