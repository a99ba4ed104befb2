// The built renderer (dist-renderer/) as both hosts serve it: file lookup confined to the folder,
// MIME types, the page's Content-Security-Policy, and a placeholder page until the renderer is built.
import fs from 'node:fs';
import path from 'node:path';

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Scripts, styles and images only from the app itself; `connectSrc` adds the socket in browser mode. */
export function contentSecurityPolicy(connectSrc = "'self'"): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Svelte sets style attributes; no script may be inline.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    `connect-src ${connectSrc}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface RendererFile {
  body: Buffer;
  mimeType: string;
}

/** The page: the built index.html, or a placeholder that says how to build it. */
export function rendererPage(rendererDir: string): RendererFile {
  const index = path.join(rendererDir, 'index.html');
  return { body: fs.existsSync(index) ? fs.readFileSync(index) : Buffer.from(PLACEHOLDER_PAGE), mimeType: MIME_TYPES['.html'] };
}

/** A built asset by URL path; undefined for anything outside `rendererDir` or missing. */
export function rendererAsset(rendererDir: string, urlPath: string): RendererFile | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.resolve(rendererDir, `.${path.posix.normalize(`/${decoded}`)}`);
  if (!file.startsWith(path.resolve(rendererDir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
  return { body: fs.readFileSync(file), mimeType: MIME_TYPES[path.extname(file)] ?? 'application/octet-stream' };
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MaskLoop</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto">
<h1>MaskLoop is running</h1>
<p>The labelling interface has not been built in this checkout yet (no <code>dist-renderer/</code>).
Build it with <code>npx vite build</code> and reload this page.</p>
<p>The backend is ready and answers the MaskLoop API.</p>
</body></html>
`;
