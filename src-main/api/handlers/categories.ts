// categories.*: names, colours and the 1-9 shortcuts (which follow the list order).
import type { Category as StoredCategory } from '../../store/categories.js';
import type { Category, MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

const SHORTCUT_KEYS = 9;

function toCategory(category: StoredCategory, position: number): Category {
  return {
    id: category.id,
    name: category.name,
    color: category.colour,
    shortcut: position < SHORTCUT_KEYS ? position + 1 : null,
    supercategory: category.supercategory,
  };
}

export function categoriesHandlers(context: ServiceContext): MaskLoopApi['categories'] {
  const listed = (id: number): Category => {
    const all = context.requireProject().categories.list();
    const position = all.findIndex((category) => category.id === id);
    return toCategory(all[position], position);
  };
  return {
    async list() {
      return context.requireProject().categories.list().map(toCategory);
    },
    async create({ name, color, supercategory }) {
      return listed(context.requireProject().categories.create({ name, colour: color, supercategory }).id);
    },
    async update({ categoryId, name, color, supercategory, shortcut }) {
      const project = context.requireProject();
      project.transaction(() => {
        project.categories.update(categoryId, { name, colour: color, supercategory });
        if (shortcut !== undefined) {
          const others = project.categories.list().filter((category) => category.id !== categoryId).map((category) => category.id);
          others.splice(Math.min(shortcut - 1, others.length), 0, categoryId);
          project.categories.reorder(others);
        }
      });
      return listed(categoryId);
    },
    async delete({ categoryId }) {
      context.requireProject().categories.delete(categoryId);
      return null;
    },
  };
}
