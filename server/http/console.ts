import { fileURLToPath } from 'node:url';
import express from 'express';
import type { RelayContext, Routers, Subsystem } from '../context.ts';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** The browser console: static files from ui/ (no CDN, no build step), at / and /ui/. */
export function consoleUi(_ctx: RelayContext): Subsystem {
  return {
    name: 'console',
    routes({ root }: Routers) {
      root.use('/ui', express.static(UI_DIR, { index: false, fallthrough: true }));
      root.get('/', (_req, res) => {
        res.sendFile('index.html', { root: UI_DIR });
      });
    },
  };
}
