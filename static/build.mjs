// Builds the static assets whose sources are JavaScript:
//   static/tracker/sona.src.js → static/sona.js (the tracker: minified, ES2017, no bundling)
//   static/portal/portal.src.js → static/js/portal.js (the portal: htmx and the used parts
//     of ECharts, bundled and tree-shaken)
// The built files are committed so that `go build` never needs node; size.test.mjs and
// portal/build.test.mjs check that they are current.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds the tracker into outfile (default static/sona.js). */
export async function buildTracker(outfile = 'sona.js') {
  await build({
    absWorkingDir: here,
    entryPoints: ['tracker/sona.src.js'],
    outfile,
    bundle: false,
    minify: true,
    target: 'es2017',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/** Builds the portal bundle into outfile (default static/js/portal.js). */
export async function buildPortal(outfile = 'js/portal.js') {
  await build({
    absWorkingDir: here,
    entryPoints: ['portal/portal.src.js'],
    outfile,
    bundle: true,
    format: 'iife',
    minify: true,
    treeShaking: true,
    target: 'es2019',
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = process.argv[2] || 'all';
  if (which === 'all' || which === 'tracker') await buildTracker();
  if (which === 'all' || which === 'portal') await buildPortal();
}
