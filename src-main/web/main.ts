// `npm run web -- [PROJECT] [--port N]`: browser mode from the command line; prints the address to open.
import { parseArgs } from 'node:util';
import { startWebServer } from './server.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { port: { type: 'string' } }, allowPositionals: true });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new Error(`--port "${values.port}" is not a port number`);
  }
  const server = await startWebServer({ projectPath: positionals[0], port });
  console.log(`MaskLoop (browser mode) at ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`maskloop web: ${error.message}`);
  process.exitCode = 1;
});
