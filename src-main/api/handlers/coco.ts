// coco.*: COCO files out of and into the open project.
import { exportProjectCoco, importCocoIntoProject } from '../../coco/project-coco.js';
import type { MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';
import { notAvailable } from './unavailable.js';

export function cocoHandlers(context: ServiceContext): MaskLoopApi['coco'] {
  return {
    async export({ path, polygons, categoryIds, imageIds }) {
      const project = context.requireProject();
      if (imageIds !== undefined) throw notAvailable('an image selection in the COCO export (export all images for now)');
      const categoryNames = categoryIds?.map((id) => project.categories.require(id).name);
      const report = await exportProjectCoco(project, path, { polygons, categoryNames });
      return { path: report.file, images: report.images, annotations: report.annotations, categories: report.categories };
    },
    async import({ path, imagesDir, skipBadItems }) {
      const report = await importCocoIntoProject(context.requireProject(), path, { imagesDir, skipBadItems });
      return {
        images: report.images.added,
        annotations: report.annotations,
        categories: report.categories.created,
        boxMasks: report.boxMasks,
        problems: report.problems.map((problem) => `${problem.path}: ${problem.message}`),
      };
    },
  };
}
