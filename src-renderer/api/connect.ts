// Picks the transport at start: the Electron preload's bridge (window.maskloop) in the desktop app,
// else the browser-mode WebSocket on this page's origin with the page's token.
import { createApiClient, type ApiTransport, type MaskLoopClient } from '../../src-main/api/client.js';
import { createWebSocketTransport } from '../../src-main/api/websocket-transport.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload (contextBridge); absent in a browser. */
    maskloop?: ApiTransport;
  }
}

export async function connect(): Promise<MaskLoopClient> {
  if (window.maskloop) return createApiClient(window.maskloop);
  const page = new URL(window.location.href);
  const token = page.searchParams.get('token');
  if (!token) throw new Error('This page needs the address MaskLoop printed, with its token: open that address again.');
  const socketUrl = `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}/ws?token=${encodeURIComponent(token)}`;
  const socket = new WebSocket(socketUrl);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`Could not connect to MaskLoop at ${page.host}: is \`npm run web\` still running?`)), { once: true });
  });
  return createApiClient(createWebSocketTransport(socket, { imageBase: page.origin, token }));
}
