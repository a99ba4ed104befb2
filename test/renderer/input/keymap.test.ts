import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandForKey, type KeyPress } from '../../../src-renderer/input/keymap.js';

const press = (key: string, modifiers: Partial<KeyPress> = {}): KeyPress => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...modifiers });
const plain = { candidatesOffered: false };

test('A/D and the arrow keys step through the images', () => {
  assert.deepEqual(commandForKey(press('d'), plain), { kind: 'next-image' });
  assert.deepEqual(commandForKey(press('ArrowRight'), plain), { kind: 'next-image' });
  assert.deepEqual(commandForKey(press('A', { shiftKey: true }), plain), { kind: 'previous-image' });
  assert.deepEqual(commandForKey(press('ArrowLeft'), plain), { kind: 'previous-image' });
});

test('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, on any platform modifier', () => {
  assert.deepEqual(commandForKey(press('z', { ctrlKey: true }), plain), { kind: 'undo' });
  assert.deepEqual(commandForKey(press('Z', { ctrlKey: true, shiftKey: true }), plain), { kind: 'redo' });
  assert.deepEqual(commandForKey(press('y', { ctrlKey: true }), plain), { kind: 'redo' });
  assert.deepEqual(commandForKey(press('z', { metaKey: true }), plain), { kind: 'undo' });
  assert.equal(commandForKey(press('d', { ctrlKey: true }), plain), null);
});

test('digits pick categories, except 1-3 pick a candidate while candidates are offered', () => {
  assert.deepEqual(commandForKey(press('2'), plain), { kind: 'pick-category', shortcut: 2 });
  assert.deepEqual(commandForKey(press('2'), { candidatesOffered: true }), { kind: 'pick-candidate', index: 1 });
  assert.deepEqual(commandForKey(press('4'), { candidatesOffered: true }), { kind: 'pick-category', shortcut: 4 });
});

test('tools, brush size, accept, clear, automatic training and zoom have single keys', () => {
  assert.deepEqual(commandForKey(press('b'), plain), { kind: 'tool', tool: 'brush' });
  assert.deepEqual(commandForKey(press('e'), plain), { kind: 'tool', tool: 'eraser' });
  assert.deepEqual(commandForKey(press('s'), plain), { kind: 'tool', tool: 'sam' });
  assert.deepEqual(commandForKey(press('['), plain), { kind: 'brush-size', direction: -1 });
  assert.deepEqual(commandForKey(press(']'), plain), { kind: 'brush-size', direction: 1 });
  assert.deepEqual(commandForKey(press('Enter'), plain), { kind: 'accept' });
  assert.deepEqual(commandForKey(press('Escape'), plain), { kind: 'clear-draft' });
  assert.deepEqual(commandForKey(press('n'), plain), { kind: 'toggle-automatic-training' });
  assert.deepEqual(commandForKey(press('f'), plain), { kind: 'zoom-fit' });
  assert.deepEqual(commandForKey(press('0'), plain), { kind: 'zoom-one-to-one' });
});

test('Alt combinations are left to the system', () => {
  assert.equal(commandForKey(press('d', { altKey: true }), plain), null);
});
