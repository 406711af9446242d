// Builds the tracker: static/tracker/sona.src.js → static/sona.js (minified, ES2017).
// The built file is committed so that `go build` never needs node; size.test.mjs checks
// that it is current and within the size budget.
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

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildTracker();
}
