// Category rows: name (unique, case-insensitive), colour, COCO supercategory and the order of keyboard shortcuts.
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';

export interface Category {
  id: number;
  name: string;
  /** '#rrggbb', lowercase. */
  colour: string;
  supercategory: string;
  /** Position in the category list; the first nine get keys 1-9. */
  sortOrder: number;
}

export interface NewCategory {
  name: string;
  colour?: string;
  supercategory?: string;
}

export type CategoryPatch = Partial<NewCategory>;

interface CategoryRow {
  id: number;
  name: string;
  colour: string;
  supercategory: string;
  sort_order: number;
}

/** Colours given to new categories in turn, chosen to stay apart on scanned documents. */
const CATEGORY_PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990', '#9a6324'];

const CATEGORY_COLUMNS = 'id, name, colour, supercategory, sort_order';

export class CategoriesRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<[string, string, string], CategoryRow>(
        `INSERT INTO categories (name, colour, supercategory, sort_order)
         VALUES (?, ?, ?, (SELECT coalesce(max(sort_order), -1) + 1 FROM categories)) RETURNING ${CATEGORY_COLUMNS}`,
      ),
      byId: db.prepare<[number], CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM categories WHERE id = ?`),
      byName: db.prepare<[string], CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM categories WHERE name = ?`),
      all: db.prepare<[], CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM categories ORDER BY sort_order, id`),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM categories'),
      update: db.prepare<[string, string, string, number]>('UPDATE categories SET name = ?, colour = ?, supercategory = ? WHERE id = ?'),
      setOrder: db.prepare<[number, number]>('UPDATE categories SET sort_order = ? WHERE id = ?'),
      annotationsUsing: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM annotations WHERE category_id = ? AND deleted = 0'),
      removeDeletedAnnotations: db.prepare<[number]>('DELETE FROM annotations WHERE category_id = ? AND deleted = 1'),
      remove: db.prepare<[number]>('DELETE FROM categories WHERE id = ?'),
    };
  }

  create(category: NewCategory): Category {
    const name = checkName(category.name);
    this.refuseTakenName(name);
    const colour = category.colour === undefined ? this.nextPaletteColour() : checkColour(category.colour);
    return toCategory(this.statements.insert.get(name, colour, category.supercategory?.trim() ?? '')!);
  }

  get(id: number): Category | undefined {
    const row = this.statements.byId.get(id);
    return row && toCategory(row);
  }

  require(id: number): Category {
    const category = this.get(id);
    if (!category) throw new MaskLoopError('NOT_FOUND', `Category ${id} is not in this project; it may have been deleted.`);
    return category;
  }

  /** Case-insensitive, like the uniqueness rule. */
  getByName(name: string): Category | undefined {
    const row = this.statements.byName.get(name.trim());
    return row && toCategory(row);
  }

  list(): Category[] {
    return this.statements.all.all().map(toCategory);
  }

  update(id: number, patch: CategoryPatch): Category {
    const current = this.require(id);
    const name = patch.name === undefined ? current.name : checkName(patch.name);
    if (name.toLowerCase() !== current.name.toLowerCase()) this.refuseTakenName(name);
    const colour = patch.colour === undefined ? current.colour : checkColour(patch.colour);
    const supercategory = patch.supercategory?.trim() ?? current.supercategory;
    this.statements.update.run(name, colour, supercategory, id);
    return this.require(id);
  }

  /** `orderedIds` must name every category exactly once; their positions become the shortcut order. */
  reorder(orderedIds: readonly number[]): Category[] {
    const existing = this.list().map((c) => c.id);
    const same = orderedIds.length === existing.length && new Set(orderedIds).size === existing.length && orderedIds.every((id) => existing.includes(id));
    if (!same) {
      throw new MaskLoopError('INVALID_ARGUMENT', `Reordering needs every category id exactly once (have ${existing.join(', ')}; got ${orderedIds.join(', ')}).`);
    }
    this.db.transaction(() => orderedIds.forEach((id, position) => this.statements.setOrder.run(position, id)))();
    return this.list();
  }

  /** Refused while live annotations use the category; deleted (undo-only) annotations of it go with it. */
  delete(id: number): void {
    const category = this.require(id);
    const inUse = this.statements.annotationsUsing.get(id)!.n;
    if (inUse > 0) {
      throw new MaskLoopError(
        'PROJECT',
        `Category "${category.name}" is used by ${inUse} annotation(s). Move them to another category or delete them first.`,
      );
    }
    this.db.transaction(() => {
      this.statements.removeDeletedAnnotations.run(id);
      this.statements.remove.run(id);
    })();
  }

  private refuseTakenName(name: string): void {
    if (this.statements.byName.get(name)) {
      throw new MaskLoopError('INVALID_ARGUMENT', `A category named "${name}" already exists (names ignore case). Choose another name.`);
    }
  }

  private nextPaletteColour(): string {
    return CATEGORY_PALETTE[this.statements.count.get()!.n % CATEGORY_PALETTE.length];
  }
}

function toCategory(row: CategoryRow): Category {
  return { id: row.id, name: row.name, colour: row.colour, supercategory: row.supercategory, sortOrder: row.sort_order };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new MaskLoopError('INVALID_ARGUMENT', 'A category needs a name that is not empty.');
  return trimmed;
}

function checkColour(colour: string): string {
  const lower = colour.trim().toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(lower)) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Category colour "${colour}" should be written #rrggbb, e.g. #e6194b.`);
  }
  return lower;
}
