// Headless Chromium for the browser tests and the render benchmark: the system browser (or $MASKLOOP_CHROMIUM), no GPU, no network chatter.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.MASKLOOP_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium is not at ${executablePath}: install it (apt-get install -y chromium) or set MASKLOOP_CHROMIUM.`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
