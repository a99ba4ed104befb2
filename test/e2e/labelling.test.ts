// The labelling flow end to end: headless Chromium on browser mode, the real service with the fixture SAM
// model (random weights, SAM's architecture) and a project of generated stamp pages. Saves screenshots of the
// main states to docs/screenshots/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Annotation, Category, ImagePage } from '../../src-main/api/contract.js';
import { TRAINING_SETTING } from '../../src-main/api/fine-tuning.js';
import { createMaskLoopService, type MaskLoopService } from '../../src-main/api/service.js';
import { decodeMask, encodeMask } from '../../src-main/coco/rle.js';
import { Project } from '../../src-main/store/project.js';
import { startWebServer, type WebServer } from '../../src-main/web/server.js';
import { fitView } from '../../src-renderer/canvas/view-transform.js';
import { launchChromium } from './chromium.js';
import { ensureRendererBuilt } from './renderer-build.js';
import { createStampProject, type StampImage } from './stamp-project.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const checkpoint = path.join(path.resolve(repoRoot, '../shared'), 'fixtures/sam-reference/tiny_sam.pth');
const screenshots = path.join(repoRoot, 'docs/screenshots');
/** The embedding of one page takes a few seconds on two CPU cores; the whole flow stays under two minutes. */
const WAIT_MS = 30_000;
/** A fine-tune of two heads-only steps: loading the training engine, three held-out evaluations and the steps. */
const FINE_TUNE_WAIT_MS = 120_000;

let folder: string;
let images: StampImage[];
let imageIds: number[];
let service: MaskLoopService;
let server: WebServer;
let browser: Browser;
let page: Page;
/** Uncaught exceptions and console errors of the page: a working UI has none. */
const pageProblems: string[] = [];

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-e2e-'));
  const created = await createStampProject(folder);
  images = created.images;
  // Two heads-only steps keep the fine-tune short; what it learns is not what this test is about.
  const project = Project.open(created.projectFile);
  try {
    project.updateSettings({ [TRAINING_SETTING]: { steps: 2, headsOnly: true } });
  } finally {
    project.close();
  }
  service = createMaskLoopService({ host: { kind: 'browser' }, dataDir: path.join(folder, 'data'), modelCacheDir: path.join(folder, 'model-cache') });
  await expectOk(service.dispatch('models.addCheckpoint', { path: checkpoint }));
  await ensureRendererBuilt();
  server = await startWebServer({ service, projectPath: created.projectFile });
  const listed = (await expectOk(service.dispatch('images.list', {}))) as ImagePage;
  imageIds = images.map((image) => listed.items.find((item) => item.path === image.file)!.id);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => pageProblems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') pageProblems.push(`${message.type()}: ${message.text()}`);
  });
  fs.mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

async function expectOk(result: Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>): Promise<unknown> {
  const answer = await result;
  if (!answer.ok) throw new Error(answer.error?.message);
  return answer.value;
}

async function annotationsOf(imageId: number): Promise<Annotation[]> {
  return (await expectOk(service.dispatch('annotations.list', { imageId }))) as Annotation[];
}

/** Screen position of an image pixel on the fitted canvas (the view the canvas takes when an image opens). */
async function onCanvas(image: StampImage, x: number, y: number): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const view = fitView({ width: image.width, height: image.height }, { width: box.width, height: box.height });
  return { x: box.x + view.offsetX + x * view.scale, y: box.y + view.offsetY + y * view.scale };
}

/** uint8[height*width]: 1 inside the page's stamp (the disc or the square), as drawn by stamp-project.ts. */
function stampMask({ width, height, stamp }: StampImage): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - stamp.cx;
      const dy = y + 0.5 - stamp.cy;
      const inside = stamp.shape === 'round' ? dx * dx + dy * dy <= stamp.radius ** 2 : Math.abs(dx) <= stamp.radius && Math.abs(dy) <= stamp.radius;
      mask[y * width + x] = inside ? 1 : 0;
    }
  }
  return mask;
}

async function draftArea(): Promise<number> {
  return Number(await page.getByTestId('draft-area').textContent());
}

/** Waits until the draft's area differs from `previous` (a new prediction or edit arrived) and returns it. */
async function nextDraftArea(previous: number): Promise<number> {
  await page.waitForFunction(
    (before) => {
      const element = document.querySelector('[data-testid="draft-area"]');
      return element !== null && Number(element.textContent) !== before;
    },
    previous,
    { timeout: WAIT_MS },
  );
  return draftArea();
}

/** The draft's area once the page has handled the input so far (two frames later). */
async function settledDraftArea(): Promise<number> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return draftArea();
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

async function waitForImage(imageId: number): Promise<void> {
  await page.locator(`[data-displayed-image="${imageId}"]`).waitFor({ timeout: WAIT_MS });
  await page.getByTestId('embedding-state').filter({ hasText: 'SAM ready' }).waitFor({ timeout: WAIT_MS });
}

test('labelling stamps in the browser: prompts, corrections, accept, undo/redo, next image, fine-tune, export', async (t) => {
  const [first, second] = images;

  await t.test('opening the project shows its images and waits for the first embedding', async () => {
    // The fixture encoder needs well under a second once warm: the test holds the first embedding request on
    // its way to the server, so the waiting state can be seen and photographed, then lets it through.
    let releaseFirstEnsure = () => {};
    const firstEnsureReleased = new Promise<void>((resolve) => (releaseFirstEnsure = resolve));
    let held = false;
    await page.routeWebSocket(/\/ws\?/, (socket) => {
      const upstream = socket.connectToServer();
      upstream.onMessage((message) => socket.send(message));
      socket.onMessage(async (message) => {
        if (!held && (JSON.parse(String(message)) as { method: string }).method === 'embedding.ensure') {
          held = true;
          await firstEnsureReleased;
        }
        upstream.send(message);
      });
    });
    await page.goto(server.url);
    await page.getByRole('button', { name: /scan-1\.png/ }).waitFor();
    assert.equal(await page.locator('nav[aria-label="Images"] li').count(), 3);
    // Nothing is embedded yet: the encoder takes seconds, and the canvas says so meanwhile.
    const banner = page.getByTestId('embedding-banner');
    await banner.filter({ hasText: /Waiting for SAM's embedding/ }).waitFor({ timeout: WAIT_MS });
    await screenshot('waiting-for-embedding');
    releaseFirstEnsure();
    await waitForImage(imageIds[0]);
    assert.equal(await banner.isVisible(), false);
  });

  await t.test('categories are created with colours and number keys', async () => {
    for (const name of ['round stamp', 'square stamp']) {
      await page.getByLabel('New category name').fill(name);
      await page.getByLabel('New category name').press('Enter');
      await page.getByRole('button', { name: `Use category ${name}` }).waitFor();
    }
    assert.equal(await page.getByRole('button', { name: 'Use category square stamp' }).getAttribute('aria-pressed'), 'true');
    await page.getByTestId('canvas').focus();
    await page.keyboard.press('1');
    assert.equal(await page.getByRole('button', { name: 'Use category round stamp' }).getAttribute('aria-pressed'), 'true');
  });

  let areaAfterClick = 0;
  await t.test('a click on the stamp shows a mask with three candidates to pick from', async () => {
    const { cx, cy } = first.stamp;
    const at = await onCanvas(first, cx, cy);
    await page.mouse.click(at.x, at.y);
    areaAfterClick = await nextDraftArea(0);
    assert.ok(areaAfterClick > 0, 'the mask has pixels');
    const candidates = page.getByRole('group', { name: 'Mask candidates' }).getByRole('button');
    assert.equal(await candidates.count(), 3);
    const chosen = await candidates.evaluateAll((buttons) => buttons.findIndex((button) => button.getAttribute('aria-pressed') === 'true'));
    await screenshot('sam-click-candidates');
    // Another candidate by its number key, then back.
    const other = chosen === 0 ? 1 : 0;
    await page.keyboard.press(String(other + 1));
    const otherArea = await nextDraftArea(areaAfterClick);
    assert.notEqual(otherArea, areaAfterClick);
    await page.keyboard.press(String(chosen + 1));
    assert.equal(await nextDraftArea(otherArea), areaAfterClick);
  });

  let areaAfterNegative = 0;
  await t.test('a negative click (right button) above the stamp shrinks the mask', async () => {
    // With this fixture model (random weights), this negative point, fed with the previous logits, removes pixels.
    const { cx, cy, radius } = first.stamp;
    const at = await onCanvas(first, cx, cy - 1.5 * radius);
    await page.mouse.click(at.x, at.y, { button: 'right' });
    areaAfterNegative = await nextDraftArea(areaAfterClick);
    assert.ok(areaAfterNegative < areaAfterClick, `${areaAfterNegative} < ${areaAfterClick}`);
    assert.equal(await page.getByRole('group', { name: 'Mask candidates' }).count(), 0, 'candidates are only for the first click');
  });

  let areaAfterBox = 0;
  await t.test('dragging a box around the stamp re-predicts with the box', async () => {
    const { cx, cy, radius } = first.stamp;
    const from = await onCanvas(first, cx - radius - 6, cy - radius - 6);
    const to = await onCanvas(first, cx + radius + 6, cy + radius + 6);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up();
    areaAfterBox = await nextDraftArea(areaAfterNegative);
    assert.ok(areaAfterBox > 0);
    assert.match((await page.getByTestId('status-bar').textContent()) ?? '', /1\+ \/ 1− · box/);
    await screenshot('sam-box');
  });

  let areaAfterFix = 0;
  await t.test('brush and eraser fix the mask: painting then erasing one dab differs by the dab', async () => {
    const radius = 12;
    const at = await onCanvas(first, 120, 520);
    await page.keyboard.press('b');
    assert.equal(await page.getByRole('button', { name: 'Brush', exact: true }).getAttribute('aria-pressed'), 'true');
    await page.mouse.click(at.x, at.y);
    const painted = await settledDraftArea();
    await page.keyboard.press('e');
    await page.mouse.click(at.x, at.y);
    areaAfterFix = await nextDraftArea(painted);
    assert.ok(painted >= areaAfterBox && areaAfterFix < painted);
    // The dab covers the pixels whose centres lie within the radius: about pi r^2.
    const dab = painted - areaAfterFix;
    assert.ok(Math.abs(dab - Math.PI * radius * radius) < 0.06 * Math.PI * radius * radius, `dab of ${dab} pixels`);
    await page.keyboard.press('s');
  });

  await t.test('Enter accepts the mask with the current category; the API holds exactly that mask', async () => {
    await page.keyboard.press('Enter');
    await page.getByTestId('annotation-list').getByRole('button', { name: /Select annotation \d+ \(round stamp\)/ }).waitFor({ timeout: WAIT_MS });
    const [annotation] = await annotationsOf(imageIds[0]);
    assert.equal(annotation.area, areaAfterFix);
    assert.equal(annotation.source, 'sam');
    assert.deepEqual(annotation.mask.size, [first.height, first.width]);
    assert.equal(await page.getByTestId('draft-area').count(), 0, 'the draft is cleared');
    await screenshot('accepted');
  });

  await t.test('Ctrl+Z undoes the accept and Ctrl+Shift+Z redoes it', async () => {
    await page.keyboard.press('Control+z');
    await page.getByTestId('annotation-list').getByText('None on this image yet.').waitFor({ timeout: WAIT_MS });
    assert.equal((await annotationsOf(imageIds[0])).length, 0);
    await page.keyboard.press('Control+Shift+z');
    await page.getByTestId('annotation-list').getByRole('button', { name: /Select annotation/ }).waitFor({ timeout: WAIT_MS });
    assert.equal((await annotationsOf(imageIds[0])).length, 1);
  });

  await t.test('D opens the next image; a box on its stamp is accepted as the second category', async () => {
    await page.keyboard.press('d');
    await waitForImage(imageIds[1]);
    assert.equal(await page.getByRole('button', { name: /scan-2\.png/ }).getAttribute('aria-current'), 'true');
    const { cx, cy, radius } = second.stamp;
    const from = await onCanvas(second, cx - radius - 5, cy - radius - 5);
    const to = await onCanvas(second, cx + radius + 5, cy + radius + 5);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 6 });
    await page.mouse.up();
    const area = await nextDraftArea(0);
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await page.getByTestId('annotation-list').getByRole('button', { name: /\(square stamp\)/ }).waitFor({ timeout: WAIT_MS });
    const [annotation] = await annotationsOf(imageIds[1]);
    assert.equal(annotation.area, area);
    await page.getByRole('button', { name: /scan-2\.png, labelled/ }).waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByTestId('corrections').textContent()) ?? '', /^[1-9]/);
  });

  await t.test('the wheel zooms at the cursor, space-drag pans, F fits again', async () => {
    const zoom = page.getByLabel('Zoom level');
    const fitted = await zoom.textContent();
    const centre = await onCanvas(second, 400, 300);
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction((before) => document.querySelector('[aria-label="Zoom level"]')?.textContent !== before, fitted);
    assert.ok(parseInt((await zoom.textContent())!, 10) > parseInt(fitted!, 10));
    await page.keyboard.down('Space');
    await page.mouse.down();
    await page.mouse.move(centre.x - 120, centre.y - 40, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Space');
    assert.equal((await annotationsOf(imageIds[1])).length, 1, 'panning made no prompt');
    assert.equal(await page.getByTestId('draft-area').count(), 0);
    await page.keyboard.press('f');
    await page.waitForFunction((before) => document.querySelector('[aria-label="Zoom level"]')?.textContent === before, fitted);
  });

  await t.test('the annotation list relabels, hides, re-edits with the brush and deletes (undoably)', async () => {
    const list = page.getByTestId('annotation-list');
    const [annotation] = await annotationsOf(imageIds[1]);
    await list.getByLabel(`Category of annotation ${annotation.id}`).selectOption({ label: 'round stamp' });
    await list.getByRole('button', { name: `Select annotation ${annotation.id} (round stamp)` }).waitFor({ timeout: WAIT_MS });
    assert.notEqual((await annotationsOf(imageIds[1]))[0].categoryId, annotation.categoryId);

    await list.getByRole('button', { name: `Hide annotation ${annotation.id}` }).click();
    await list.getByRole('button', { name: `Show annotation ${annotation.id}` }).click();

    await list.getByRole('button', { name: `Edit annotation ${annotation.id}` }).click();
    assert.equal(await settledDraftArea(), annotation.area, 'the annotation becomes the draft');
    await page.keyboard.press('b');
    const at = await onCanvas(second, 700, 80);
    await page.mouse.click(at.x, at.y);
    const edited = await settledDraftArea();
    await page.keyboard.press('s');
    await page.keyboard.press('Enter');
    await page.getByTestId('draft-area').waitFor({ state: 'detached', timeout: WAIT_MS });
    const [updated] = await annotationsOf(imageIds[1]);
    assert.equal(updated.id, annotation.id);
    assert.equal(updated.area, edited);
    assert.equal(updated.source, 'sam', 'a brush fix keeps the annotation SAM-made');

    await list.getByRole('button', { name: `Delete annotation ${annotation.id}` }).click();
    await list.getByText('None on this image yet.').waitFor({ timeout: WAIT_MS });
    assert.equal((await annotationsOf(imageIds[1])).length, 0);
    await page.keyboard.press('Control+z');
    await list.getByRole('button', { name: `Select annotation ${annotation.id} (round stamp)` }).waitFor({ timeout: WAIT_MS });
    assert.equal((await annotationsOf(imageIds[1]))[0].area, edited);
  });

  await t.test('"Embed all" embeds the remaining image in the background with progress', async () => {
    await page.getByRole('button', { name: 'Embed all images' }).click();
    await page.getByRole('button', { name: /scan-3\.png, ready/ }).waitFor({ timeout: WAIT_MS });
    await page.getByRole('button', { name: 'Embed all images' }).waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByLabel('Embedding queue').textContent()) ?? '', /Embedded 1\/1 \(100%\)/);
  });

  await t.test('"Fine-tune on my labels" runs to the end with progress and before/after held-out IoU', async () => {
    // Fine-tuning needs 5 accepted masks: the stamps' exact masks are added behind the page, and taken away after.
    const [category] = (await expectOk(service.dispatch('categories.list', {}))) as Category[];
    const added: number[] = [];
    for (const [index, image] of images.entries()) {
      const mask = encodeMask(stampMask(image), image.height, image.width);
      const annotation = (await expectOk(service.dispatch('annotations.create', { imageId: imageIds[index], categoryId: category.id, mask, source: 'manual' }))) as Annotation;
      added.push(annotation.id);
    }
    await page.getByRole('button', { name: 'Fine-tune on my labels' }).click();
    const result = page.getByTestId('training-result');
    await result.waitFor({ timeout: FINE_TUNE_WAIT_MS });
    assert.match((await result.textContent()) ?? '', /Held-out IoU/);
    assert.equal(await page.getByTestId('loss-plot').isVisible(), true, 'the progress events drew the loss plot');
    await screenshot('fine-tune');
    for (const annotationId of added) await expectOk(service.dispatch('annotations.delete', { annotationId }));
  });

  await t.test('the export dialog writes a COCO file with RLE masks and reports its counts', async () => {
    const target = path.join(folder, 'export', 'stamps-coco.json');
    fs.mkdirSync(path.dirname(target));
    await page.keyboard.press('Control+e');
    await page.getByLabel('Where to save the COCO file').fill(target);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const report = page.getByTestId('export-result');
    await report.waitFor({ timeout: WAIT_MS });
    assert.match((await report.textContent()) ?? '', /Exported 3 images, 2 annotations, 2 categories/);
    await screenshot('export');
    const coco = JSON.parse(fs.readFileSync(target, 'utf8')) as {
      images: { id: number; file_name: string }[];
      categories: { name: string }[];
      annotations: { area: number; segmentation: { size: [number, number]; counts: string } }[];
    };
    assert.equal(coco.images.length, 3);
    assert.deepEqual(coco.categories.map((category) => category.name).sort(), ['round stamp', 'square stamp']);
    const stored = [...(await annotationsOf(imageIds[0])), ...(await annotationsOf(imageIds[1]))];
    assert.deepEqual(coco.annotations.map((annotation) => annotation.area).sort(), stored.map((annotation) => annotation.area).sort());
    for (const annotation of coco.annotations) {
      assert.equal(decodeMask(annotation.segmentation).reduce((sum, value) => sum + value, 0), annotation.area);
    }
    await page.keyboard.press('Escape');
  });

  await t.test('on a 2x screen the canvas draws at device resolution and 1:1 shows one image pixel per device pixel', async () => {
    const hiDpi = await browser.newPage({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: 2 });
    try {
      await hiDpi.goto(server.url);
      await hiDpi.locator('[data-displayed-image]').waitFor({ timeout: WAIT_MS });
      const canvas = hiDpi.getByTestId('canvas');
      const [backing, css] = await canvas.evaluate((element: HTMLCanvasElement) => [element.width, element.clientWidth]);
      assert.equal(backing, 2 * css);
      await canvas.focus();
      await hiDpi.keyboard.press('0');
      await hiDpi.getByLabel('Zoom level').filter({ hasText: /^50%$/ }).waitFor({ timeout: WAIT_MS });
    } finally {
      await hiDpi.close();
    }
  });

  await t.test('closing the project shows the start screen with the model and the recent project, which reopens', async () => {
    await page.getByRole('button', { name: 'Close project' }).click();
    await page.getByRole('heading', { name: 'Recent projects' }).waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByRole('region', { name: 'SAM model' }).textContent()) ?? '', /tiny_sam\.pth.*in use/);
    await screenshot('start-screen');
    await page.getByRole('button', { name: 'Stamps (e2e)' }).click();
    await page.getByRole('button', { name: /scan-1\.png, labelled/ }).waitFor({ timeout: WAIT_MS });
  });

  await t.test('the page threw nothing and logged no errors or warnings', () => {
    assert.deepEqual(pageProblems, []);
  });
});
