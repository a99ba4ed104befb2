// `maskloop embed-all P --model CKPT`: embeds every image of a project into its cache; resumable, Ctrl+C cancels.
import { loadRgbImage } from '../../sam/image-io.js';
import { SamModel } from '../../sam/sam-model.js';
import { EmbedQueue } from '../../store/embed-queue.js';
import { Project } from '../../store/project.js';
import { MaskLoopError } from '../../errors.js';
import { parseCommandArgs, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';

export const embedAllCommand: CliCommand = {
  name: 'embed-all',
  summary: 'Compute and cache the SAM embedding of every image in the project (resumes where a previous run stopped).',
  usage: 'P --model CKPT',
  async run(args) {
    const { values, positionals } = parseCommandArgs('embed-all', args, { model: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new MaskLoopError('INVALID_ARGUMENT', 'embed-all: use "maskloop embed-all P --model CKPT".');
    const checkpoint = requireOption('embed-all', values.model, '--model');
    const project = Project.open(positionals[0]);
    try {
      const model = await SamModel.load({ checkpoint });
      const queue = new EmbedQueue(project, {
        encoderId: model.id,
        embed: async (imagePath) => (await model.embed(await loadRgbImage(imagePath))).data,
      });
      queue.enqueueMissing();
      let lastLine = '';
      queue.on('progress', ({ done, total, failed, etaMs }) => {
        const eta = etaMs === null ? '' : `, about ${Math.ceil(etaMs / 1000)} s left`;
        const line = `embedding ${done + failed}/${total}${eta}`;
        if (line !== lastLine) console.error(line);
        lastLine = line;
      });
      queue.on('failure', ({ imageId, error, willRetry }) => {
        if (!willRetry) console.error(`image ${imageId} could not be embedded: ${error}`);
      });
      const stop = () => queue.cancel();
      process.once('SIGINT', stop);
      const result = await queue.run();
      process.off('SIGINT', stop);
      const how = result.cancelled ? 'cancelled; run it again to resume' : 'finished';
      console.log(`maskloop: embedding ${how}: ${result.done} embedded, ${result.failed} failed (model ${model.id}, ${model.provider})`);
      return result.failed > 0 ? 1 : 0;
    } finally {
      project.close();
    }
  },
};
