// Where browser mode keeps its settings and downloaded checkpoints (the desktop app uses Electron's userData).
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(): string {
  if (process.env.MASKLOOP_DATA_DIR) return process.env.MASKLOOP_DATA_DIR;
  const base = process.env.XDG_CONFIG_HOME ?? (process.platform === 'win32' ? (process.env.APPDATA ?? os.homedir()) : path.join(os.homedir(), '.config'));
  return path.join(base, 'maskloop');
}
