// Schema 3: annotations remember whether their mask is only the box they were imported with, so training can leave them out.
import type { Migration } from './index.js';

export const annotationMaskFromBox: Migration = {
  version: 3,
  name: '0003-annotation-mask-from-box',
  up(db) {
    db.exec(`
      -- 1: the mask is the annotation's bbox as a rectangle (a COCO file gave a bbox but no segmentation); a box is not a
      -- stamp's outline, so fine-tuning skips such masks until someone redraws them.
      ALTER TABLE annotations ADD COLUMN mask_from_box INTEGER NOT NULL DEFAULT 0 CHECK (mask_from_box IN (0, 1));
    `);
  },
};
