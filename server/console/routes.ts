import { fileURLToPath } from 'node:url';
import express from 'express';
import type { HttpMount } from '../http/mount.ts';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** The console's static files from ui/ (no CDN, no build step), at / and /ui/. */
export function consoleRoutes({ root }: HttpMount): void {
  root.use('/ui', express.static(UI_DIR, { index: false, fallthrough: true }));
  // Browsers ask for /favicon.ico unless the page names an icon: both get the same SVG.
  root.get('/favicon.ico', (_req, res) => {
    res.type('image/svg+xml').sendFile('favicon.svg', { root: UI_DIR });
  });
  root.get('/', (_req, res) => {
    res.sendFile('index.html', { root: UI_DIR });
  });
}
