import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves, read once at start. */
export interface Asset {
  type: string;
  body: Buffer;
}

// `public/` sits beside `src/` and `dist/`, so the same relative path works from both.
const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

/** The page files, by the name they are served under (`/assets/<name>`, pages at `/` and `/rollout`). */
const PAGE_FILES: Record<string, string> = {
  'overview.html': 'text/html; charset=utf-8',
  'rollout.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'common.js': 'text/javascript; charset=utf-8',
  'overview.js': 'text/javascript; charset=utf-8',
  'rollout.js': 'text/javascript; charset=utf-8',
  'tables.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'actions.js': 'text/javascript; charset=utf-8',
};

/**
 * Reads the page files and uPlot's browser build from node_modules, so the dashboard works with
 * no CDN and no network. Throws at start when a file is missing, rather than serving a broken page.
 */
export function loadDashboardAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(PAGE_FILES)) assets.set(name, { type, body: readFileSync(join(PUBLIC, name)) });
  // The package's main file is in dist/, next to the browser builds.
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  assets.set('uplot.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(uplotDist, 'uPlot.iife.min.js')) });
  assets.set('uplot.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(uplotDist, 'uPlot.min.css')) });
  return assets;
}
