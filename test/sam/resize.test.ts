import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRgbImage, type RgbImage } from '../../src-main/sam/image-io.js';
import { resizeBilinear } from '../../src-main/sam/resize.js';
import { MaskLoopError } from '../../src-main/errors.js';
import { referencePath } from '../support/sam-reference.js';


function countDifferences(actual: Uint8Array, expected: Uint8Array): { maxDiff: number; differing: number } {
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > 0) differing++;
    if (diff > maxDiff) maxDiff = diff;
  }
  return { maxDiff, differing };
}

test('upscaling 800x600 to 1024x768 equals the reference PIL bilinear resize', async () => {
  const image = await loadRgbImage(referencePath('image_resized.png'));
  const expected = await loadRgbImage(referencePath('image_resized_resized_pil_bilinear.png'));
  const resized = resizeBilinear(image, 1024, 768);
  assert.deepEqual([resized.width, resized.height], [expected.width, expected.height]);
  // Measured: max diff 0, 0 differing values (bit-exact); the reference's own tolerance is 1 grey level.
  const { maxDiff, differing } = countDifferences(resized.data, expected.data);
  assert.ok(maxDiff <= 1, `max diff ${maxDiff} grey levels over ${differing} values`);
  assert.equal(differing, 0);
});

test('resizing to the same size returns an equal copy, as PIL does for image_exact', async () => {
  const image = await loadRgbImage(referencePath('image_exact.png'));
  const expected = await loadRgbImage(referencePath('image_exact_resized_pil_bilinear.png'));
  const resized = resizeBilinear(image, 1024, 768);
  assert.deepEqual(resized.data, expected.data);
  assert.notEqual(resized.data, image.data);
});

// Known answers from Pillow's Image.resize(size, Image.BILINEAR) on this 13x11 pattern (bytes as hex, HWC).
function pattern13x11(): RgbImage {
  const width = 13;
  const height = 11;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 7) % 256;
    }
  }
  return { width, height, data };
}

const pillowResults: { width: number; height: number; what: string; hex: string }[] = [
  {
    width: 5,
    height: 4,
    what: 'downscaling both axes (antialiasing support widened by the factor)',
    hex: '6e848d7c868e7f7e87768187798e7c7a8d7c8a8a7d8f827d7e867989848a787e887e7d7e887e80807c7786668f967380917d7d71828b848a7f7e7895',
  },
  {
    width: 20,
    height: 3,
    what: 'upscaling horizontally while downscaling vertically',
    hex:
      '558a7d6c828a837c95788e858089828d7b887d7ea77892937cae5b9c737b8e668c54858f70898083847e867490788287748980867e7e7f958078ad83769e82' +
      '728b7e70797c82878a7d907e71916a986b8492757c6fa15c967f8b9c7b8f8295696f856d6d7d777f83868d7e7095766c8f6893827195787b917b6ea3896e80' +
      '99716499809399729b985d8c897e7e7b95686da24f5f858d7070a5a06297947d7c869071789580768981777b88776d9c866a9f956a9f',
  },
  {
    width: 4,
    height: 11,
    what: 'horizontal pass only (height unchanged, vertical pass skipped)',
    hex:
      '356a9f93a196505e8387bc6190a0945f6786949c8b5b6b968f6e69879489717e8f97766a658f9f99888087766b80aaa59a8e6e90887d9189818b7f8f6993' +
      '698c7b7362977685655964998d8391709c7c5c946994885e938060958262977a6ea38e63987d8479689d7c7e5e8993875d8999888d828a837e8dad679c70' +
      '786d887787739e92',
  },
  {
    width: 13,
    height: 5,
    what: 'vertical pass only (width unchanged, horizontal pass skipped)',
    hex:
      '4a7f837479ae6ea36b996095568bc081b658ab4e834479ae6ea36b996095568b8f8185587aaf835a8f7a937d7d80809f83a36da670a574a95eac61966499' +
      '639c67866a8a898d8c77907aaf7db27d7fb479578179948c84629751aa598e6ca15cb46fa482ac664f79718c847c978449975c916f66917e699e8c567679' +
      '98988670a5935d7d6ba0557877ac9a4f8472a75c7f7f9e8c568b7963988670a57579aeaa7d44ad75aaa5487d78ad7470a5474378ada86fa4a0737773a86f' +
      '6a9f736e72a7a36a9f',
  },
];

for (const expected of pillowResults) {
  test(`13x11 -> ${expected.width}x${expected.height} equals Pillow bit for bit: ${expected.what}`, () => {
    const resized = resizeBilinear(pattern13x11(), expected.width, expected.height);
    assert.deepEqual([...resized.data], [...Buffer.from(expected.hex, 'hex')]);
  });
}

test('refuses a size that is not whole positive pixels', () => {
  assert.throws(
    () => resizeBilinear(pattern13x11(), 0, 5),
    (error: unknown) => error instanceof MaskLoopError && error.code === 'INVALID_ARGUMENT',
  );
});
