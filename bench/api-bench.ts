// Click-to-mask latency as the renderer sees it in browser mode: a sam.predict request on the WebSocket
// until its reply (the masks as COCO RLE) has arrived and been parsed, on a 1024x768 page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { createApiClient } from '../src-main/api/client.js';
import { createMaskLoopService } from '../src-main/api/service.js';
import { createWebSocketTransport } from '../src-main/api/websocket-transport.js';
import { writeRandomCheckpoint } from '../src-main/sam/random-checkpoint.js';
import { SAM_VARIANTS, type SamConfig } from '../src-main/sam/variants.js';
import { startWebServer } from '../src-main/web/server.js';
import { median, medianMs, round } from './stats.js';

export interface ApiBench {
  /** One foreground click, one mask: the common case of a correction click. */
  click_to_mask_ms: number;
  /** A first click, answered with SAM's three candidates. */
  click_to_mask_multimask_ms: number;
  /** Of click_to_mask_ms: the decoder run in ONNX Runtime (masks at the original size), as the service timed it. */
  click_decoder_ms: number;
  /** Of click_to_mask_ms: the rest (validation, RLE encoding, JSON, the socket), median of the per-click differences. */
  click_overhead_ms: number;
}

/**
 * SAM's prompt encoder and mask decoder are the same in vit_b, vit_l and vit_h; only the image encoder
 * differs, and it runs once per image, not per click. So vit_b's decoder with a two-block encoder
 * measures the click path of vit_b without minutes of building and embedding.
 */
const VIT_B_DECODER_SMALL_ENCODER: SamConfig = {
  ...SAM_VARIANTS.vit_b,
  variant: 'custom',
  encoder: { ...SAM_VARIANTS.vit_b.encoder, embedDim: 64, depth: 2, numHeads: 2, globalAttnIndexes: [1] },
};

export async function benchApi(runs = 30): Promise<ApiBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-api-bench-'));
  const service = createMaskLoopService({ host: { kind: 'browser' }, dataDir: path.join(dir, 'data'), modelCacheDir: path.join(dir, 'cache') });
  const server = await startWebServer({ service, rendererDir: path.join(dir, 'no-renderer') });
  let socket: WebSocket | undefined;
  try {
    const checkpoint = path.join(dir, 'sam_vit_b_decoder.pth');
    await writeRandomCheckpoint(checkpoint, VIT_B_DECODER_SMALL_ENCODER, 1);
    const page = path.join(dir, 'page.png');
    await sharp({ create: { width: 1024, height: 768, channels: 3, background: '#ebebeb' } })
      .composite([{ input: { create: { width: 300, height: 200, channels: 3, background: '#c81e28' } }, left: 350, top: 280 }])
      .png()
      .toFile(page);

    // Opened only now: the setup above holds the event loop long enough to miss the 'open' event.
    const opened = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    socket = opened;
    await new Promise((resolve, reject) => {
      opened.once('open', resolve);
      opened.once('error', reject);
    });
    const api = createApiClient(createWebSocketTransport(opened, { imageBase: `http://127.0.0.1:${server.port}`, token: server.token }));
    await api.models.addCheckpoint({ path: checkpoint });
    await api.projects.create({ path: path.join(dir, 'bench.maskloop') });
    await api.images.add({ paths: [page] });
    const [image] = (await api.images.list()).items;
    await api.embedding.ensure({ imageId: image.id });

    const click = { imageId: image.id, points: [{ x: 500, y: 380, label: 1 as const }] };
    const roundTrips: number[] = [];
    const decoderRuns: number[] = [];
    for (let i = -3; i < runs; i++) {
      const started = performance.now();
      const { timing } = await api.sam.predict(click);
      if (i < 0) continue;
      roundTrips.push(performance.now() - started);
      decoderRuns.push(timing.decodeMs);
    }
    return {
      click_to_mask_ms: round(median(roundTrips)),
      click_to_mask_multimask_ms: await medianMs(() => api.sam.predict({ ...click, multimask: true }), runs, 3),
      click_decoder_ms: round(median(decoderRuns)),
      click_overhead_ms: round(median(roundTrips.map((total, k) => total - decoderRuns[k]))),
    };
  } finally {
    socket?.close();
    await server.close();
    await service.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
