// `maskloop coco import|export`: COCO instance files into and out of a project.
import { MaskLoopError } from '../../errors.js';
import { exportProjectCoco, importCocoIntoProject } from '../../coco/project-coco.js';
import { Project } from '../../store/project.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const cocoCommand: CliCommand = {
  name: 'coco',
  summary: 'Import a COCO file (all of it or nothing, unless --skip-bad) or export the labels (compressed RLE, or --polygons).',
  usage: 'import P FILE [--images DIR] [--skip-bad] | export P OUT [--polygons] [--category NAME]...',
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      'coco',
      args,
      {
        images: { type: 'string' },
        'skip-bad': { type: 'boolean', default: false },
        polygons: { type: 'boolean', default: false },
        category: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
      },
      true,
    );
    const [verb, projectFile, target] = positionals;
    if (!['import', 'export'].includes(verb) || !projectFile || !target || positionals.length !== 3) {
      throw new MaskLoopError('INVALID_ARGUMENT', 'coco: use "maskloop coco import P FILE [--images DIR]" or "maskloop coco export P OUT".');
    }
    const project = Project.open(projectFile);
    try {
      if (verb === 'import') {
        const report = await importCocoIntoProject(project, target, { imagesDir: values.images, skipBadItems: values['skip-bad'] });
        if (values.json) return print(report);
        console.log(
          `maskloop: imported ${report.annotations} annotation(s) (${report.boxMasks} from boxes only), ` +
            `${report.images.added} new image(s), ${report.categories.created} new categor${report.categories.created === 1 ? 'y' : 'ies'}`,
        );
        for (const problem of report.problems) console.log(`  ${problem.severity} at ${problem.path}: ${problem.message}`);
        return 0;
      }
      const report = await exportProjectCoco(project, target, { polygons: values.polygons, categoryNames: values.category });
      if (values.json) return print(report);
      console.log(
        `maskloop: wrote ${report.file}: ${report.images} image(s), ${report.categories} categor${report.categories === 1 ? 'y' : 'ies'}, ` +
          `${report.annotations} annotation(s); file_name is relative to ${report.imagesRoot}`,
      );
      return 0;
    } finally {
      project.close();
    }
  },
};

function print(report: object): number {
  console.log(JSON.stringify(report));
  return 0;
}
