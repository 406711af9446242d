// Checks the committed tracker build: it must match a fresh build of the source and stay
// within the size budget. Run with `npm test` (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildTracker } from '../build.mjs';

const BUDGET = 2500; // bytes, minified + gzip -9
const committed = fileURLToPath(new URL('../sona.js', import.meta.url));

test('static/sona.js is built from the current source', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sona-'));
  try {
    const fresh = join(dir, 'sona.js');
    await buildTracker(fresh);
    const want = await readFile(fresh, 'utf8');
    const got = await readFile(committed, 'utf8');
    assert.ok(got === want, 'static/sona.js is stale: run `npm run build` in static/');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(`static/sona.js is at most ${BUDGET} bytes gzipped`, async () => {
  const js = await readFile(committed);
  const size = gzipSync(js, { level: 9 }).length;
  console.log(`sona.js: ${js.length} bytes minified, ${size} bytes gzipped (budget ${BUDGET})`);
  assert.ok(size <= BUDGET, `sona.js is ${size} bytes gzipped, over the ${BUDGET} byte budget`);
});
