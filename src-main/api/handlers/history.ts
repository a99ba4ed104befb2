// history.*: undo and redo of annotation changes, persisted in the project.
import type { UndoRedoStep } from '../../store/history.js';
import type { Project } from '../../store/project.js';
import type { HistoryStep, MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

const DONE: Record<UndoRedoStep['direction'], Record<UndoRedoStep['change']['op'], string>> = {
  undo: { create: 'Undid creating', update: 'Undid editing', delete: 'Restored' },
  redo: { create: 'Redid creating', update: 'Redid editing', delete: 'Deleted again' },
};

function describe(project: Project, step: UndoRedoStep | undefined): HistoryStep {
  const canUndo = project.history.canUndo();
  const canRedo = project.history.canRedo();
  if (!step) return { description: null, imageId: null, canUndo, canRedo };
  // Undoing a create leaves no state; the row (kept, marked deleted) still names its image.
  const imageId = step.state?.imageId ?? project.annotations.get(step.entityId)?.imageId ?? null;
  return { description: `${DONE[step.direction][step.change.op]} annotation ${step.entityId}`, imageId, canUndo, canRedo };
}

export function historyHandlers(context: ServiceContext): MaskLoopApi['history'] {
  return {
    async undo() {
      const project = context.requireProject();
      return describe(project, project.undo());
    },
    async redo() {
      const project = context.requireProject();
      return describe(project, project.redo());
    },
  };
}
