// The image encoder on a worker thread: ONNX Runtime's run() holds the thread it is called on for the
// whole encoder pass (seconds for vit_b), so embedding on the main thread would stall every request.
import { parentPort, workerData } from 'node:worker_threads';
import { isMaskLoopError } from '../errors.js';
import { loadRgbImage } from '../sam/image-io.js';
import { SamModel } from '../sam/sam-model.js';
import type { EmbedWorkerReply, EmbedWorkerRequest, EmbedWorkerSetup } from './embed-worker-client.js';

const setup = workerData as EmbedWorkerSetup;
const port = parentPort!;
const model = SamModel.load({ checkpoint: setup.checkpoint }, { cacheDir: setup.cacheDir });
// A failed load is reported to each embed request that awaits it, not as an unhandled rejection.
model.catch(() => undefined);

port.on('message', async ({ id, imagePath }: EmbedWorkerRequest) => {
  try {
    // in: image file -> out: image_embeddings float32[1,256,64,64], its buffer moved, not copied.
    const { data } = await (await model).embed(await loadRgbImage(imagePath));
    port.postMessage({ id, data } satisfies EmbedWorkerReply, [data.buffer as ArrayBuffer]);
  } catch (error) {
    const reply: EmbedWorkerReply = {
      id,
      error: { code: isMaskLoopError(error) ? error.code : 'ONNX_RUNTIME', message: error instanceof Error ? error.message : String(error) },
    };
    port.postMessage(reply);
  }
});
