// `maskloop export-decoder P OUT.onnx --model CKPT`: the project's active decoder in SAM's official ONNX format, for other tools.
import path from 'node:path';
import { MaskLoopError } from '../../errors.js';
import { openCheckpoint } from '../../sam/checkpoint/open-checkpoint.js';
import { writeFileAtomic } from '../../sam/model-cache.js';
import { buildSamDecoder } from '../../sam/sam-decoder-graph.js';
import { SamModel } from '../../sam/sam-model.js';
import { Project } from '../../store/project.js';
import { decoderVersionWeights, requireDecoderForModel } from '../../train/decoder-versions.js';
import { parseCommandArgs, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';

export const exportDecoderCommand: CliCommand = {
  name: 'export-decoder',
  summary: "Write the project's active decoder (or the checkpoint's, when none is active) as SAM's official ONNX decoder (SamOnnxModel inputs and outputs).",
  usage: 'P OUT.onnx --model CKPT',
  async run(args) {
    const { values, positionals } = parseCommandArgs('export-decoder', args, { model: { type: 'string' } }, true);
    if (positionals.length !== 2) throw new MaskLoopError('INVALID_ARGUMENT', 'export-decoder: use "maskloop export-decoder P OUT.onnx --model CKPT".');
    const [projectFile, out] = positionals;
    const checkpoint = requireOption('export-decoder', values.model, '--model');
    const project = Project.open(projectFile);
    try {
      const model = await SamModel.load({ checkpoint });
      const active = requireDecoderForModel(project, model);
      const weights = active ? decoderVersionWeights(project, active.id) : await openCheckpoint(checkpoint);
      try {
        writeFileAtomic(path.resolve(out), buildSamDecoder(weights, model.config!, { outputs: 'all' }));
      } finally {
        weights.close();
      }
      const which = active ? `decoder version ${active.id}` : "the checkpoint's own decoder (no version is active)";
      console.log(`maskloop: wrote ${which} to ${path.resolve(out)} (official SAM ONNX decoder format)`);
      return 0;
    } finally {
      project.close();
    }
  },
};
