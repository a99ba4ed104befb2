// `maskloop embed`: one image's SAM embedding as raw float32 [256,64,64].
import { loadRgbImage } from '../../sam/image-io.js';
import { SamModel } from '../../sam/sam-model.js';
import { parseCommandArgs, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { writeFloat32File } from '../raw-float32.js';

export const embedCommand: CliCommand = {
  name: 'embed',
  summary: 'Write the image embedding as raw little-endian float32 [256,64,64].',
  usage: '--model CKPT --image IMG --out FILE',
  async run(args) {
    const { values } = parseCommandArgs('embed', args, {
      model: { type: 'string' },
      image: { type: 'string' },
      out: { type: 'string' },
    });
    const model = await SamModel.load({ checkpoint: requireOption('embed', values.model, '--model') });
    const image = await loadRgbImage(requireOption('embed', values.image, '--image'));
    const out = requireOption('embed', values.out, '--out');
    const embedding = await model.embed(image);
    writeFloat32File(out, [embedding.data]);
    console.log(`maskloop: wrote ${out} (float32 [256,64,64], model ${model.id}, ${model.provider})`);
    return 0;
  },
};
