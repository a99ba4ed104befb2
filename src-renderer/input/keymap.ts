// The keyboard shortcuts, in one table: a key press (and what the screen offers) -> the command it means.

export type Command =
  | { kind: 'next-image' }
  | { kind: 'previous-image' }
  | { kind: 'accept' }
  | { kind: 'clear-draft' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'pick-candidate'; index: number }
  | { kind: 'pick-category'; shortcut: number }
  | { kind: 'tool'; tool: 'sam' | 'brush' | 'eraser' }
  | { kind: 'brush-size'; direction: 1 | -1 }
  | { kind: 'toggle-automatic-training' }
  | { kind: 'zoom-fit' }
  | { kind: 'zoom-one-to-one' }
  | { kind: 'toggle-hide-selected' }
  | { kind: 'delete-selected' }
  | { kind: 'export' };

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface KeyContext {
  /** SAM's three candidates are on screen (after the first click): 1/2/3 pick among them. */
  candidatesOffered: boolean;
}

/** The shortcut text shown in tooltips, so labels and the table cannot drift apart. */
export const SHORTCUTS = {
  nextImage: 'D or →',
  previousImage: 'A or ←',
  accept: 'Enter',
  clearDraft: 'Esc',
  undo: 'Ctrl+Z',
  redo: 'Ctrl+Shift+Z',
  sam: 'S',
  brush: 'B',
  eraser: 'E',
  brushSmaller: '[',
  brushLarger: ']',
  automaticTraining: 'N',
  fit: 'F',
  oneToOne: '0',
  hideSelected: 'H',
  deleteSelected: 'Delete',
  exportCoco: 'Ctrl+E',
  candidate: (index: number) => String(index + 1),
  category: (shortcut: number) => String(shortcut),
} as const;

export function commandForKey(press: KeyPress, context: KeyContext): Command | null {
  const command = press.ctrlKey || press.metaKey ? withControl(press) : plain(press, context);
  return press.altKey ? null : command;
}

function withControl(press: KeyPress): Command | null {
  const key = press.key.toLowerCase();
  if (key === 'z') return press.shiftKey ? { kind: 'redo' } : { kind: 'undo' };
  if (key === 'y') return { kind: 'redo' };
  if (key === 'e') return { kind: 'export' };
  return null;
}

function plain(press: KeyPress, context: KeyContext): Command | null {
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (/^[1-9]$/.test(key)) {
    const digit = Number(key);
    if (context.candidatesOffered && digit <= 3) return { kind: 'pick-candidate', index: digit - 1 };
    return { kind: 'pick-category', shortcut: digit };
  }
  switch (key) {
    case 'd':
    case 'ArrowRight':
      return { kind: 'next-image' };
    case 'a':
    case 'ArrowLeft':
      return { kind: 'previous-image' };
    case 'Enter':
      return { kind: 'accept' };
    case 'Escape':
      return { kind: 'clear-draft' };
    case 's':
      return { kind: 'tool', tool: 'sam' };
    case 'b':
      return { kind: 'tool', tool: 'brush' };
    case 'e':
      return { kind: 'tool', tool: 'eraser' };
    case '[':
      return { kind: 'brush-size', direction: -1 };
    case ']':
      return { kind: 'brush-size', direction: 1 };
    case 'n':
      return { kind: 'toggle-automatic-training' };
    case 'f':
      return { kind: 'zoom-fit' };
    case '0':
      return { kind: 'zoom-one-to-one' };
    case 'h':
      return { kind: 'toggle-hide-selected' };
    case 'Delete':
    case 'Backspace':
      return { kind: 'delete-selected' };
    default:
      return null;
  }
}
