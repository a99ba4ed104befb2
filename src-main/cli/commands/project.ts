// `maskloop project create P` and `maskloop images add P PATH...`: a project file and its image library.
import path from 'node:path';
import { MaskLoopError } from '../../errors.js';
import { Project } from '../../store/project.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const projectCommand: CliCommand = {
  name: 'project',
  summary: 'Create a project file (one SQLite file holds images, labels, embeddings and decoder versions).',
  usage: 'create P [--name NAME]',
  async run(args) {
    const { values, positionals } = parseCommandArgs('project', args, { name: { type: 'string' } }, true);
    const [verb, file] = positionals;
    if (verb !== 'create' || !file || positionals.length !== 2) {
      throw new MaskLoopError('INVALID_ARGUMENT', 'project: use "maskloop project create P [--name NAME]".');
    }
    const project = Project.create(file, values.name ?? path.basename(file, path.extname(file)));
    console.log(`maskloop: created project "${project.name}" at ${project.file}`);
    project.close();
    return 0;
  },
};

export const imagesCommand: CliCommand = {
  name: 'images',
  summary: 'Add image files or folders (recursive; JPEG, PNG, TIFF, WebP, BMP) to a project; duplicates are found by content.',
  usage: 'add P PATH... [--json]',
  async run(args) {
    const { values, positionals } = parseCommandArgs('images', args, { json: { type: 'boolean', default: false } }, true);
    const [verb, file, ...paths] = positionals;
    if (verb !== 'add' || !file || paths.length === 0) {
      throw new MaskLoopError('INVALID_ARGUMENT', 'images: use "maskloop images add P PATH..." with at least one file or folder.');
    }
    const project = Project.open(file);
    try {
      const report = await project.library.add(paths);
      if (values.json) {
        console.log(JSON.stringify(report));
      } else {
        console.log(
          `maskloop: added ${report.added.length} image(s), ${report.duplicates.length} duplicate(s), ${report.relinked.length} relinked, ${report.skipped.length} skipped`,
        );
        for (const skipped of report.skipped) console.log(`  skipped ${skipped.path}: ${skipped.reason}`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
