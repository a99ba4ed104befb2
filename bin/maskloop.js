#!/usr/bin/env node
// `maskloop` command: runs the TypeScript CLI directly (tsx), so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/main.ts');
