// projects.*: create, open and close the project file; the recent list lives in the app settings.
import fs from 'node:fs';
import path from 'node:path';
import { Project } from '../../store/project.js';
import type { MaskLoopApi } from '../contract.js';
import { projectInfo, type ServiceContext } from '../service-context.js';

export function projectsHandlers(context: ServiceContext): MaskLoopApi['projects'] {
  return {
    async create({ path: file, name }) {
      const project = Project.create(file, name ?? path.basename(file).replace(/\.[^.]+$/, ''));
      context.setProject(project);
      return projectInfo(project);
    },
    async open({ path: file }) {
      const project = Project.open(file);
      context.setProject(project);
      return projectInfo(project);
    },
    async close() {
      context.setProject(null);
      return null;
    },
    async info() {
      return context.project && projectInfo(context.project);
    },
    async recent() {
      return context.settings.recentProjects.map((recent) => ({ ...recent, exists: fs.existsSync(recent.path) }));
    },
  };
}
