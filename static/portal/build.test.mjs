// Checks the committed portal bundle: it must match a fresh build of the sources, stay
// within its size budget, and hold only the ECharts parts the charts use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPortal } from '../build.mjs';
import { formatter, options } from './charts.js';

const BUDGET = 220 * 1024; // bytes, minified + gzip -9
const committed = fileURLToPath(new URL('../js/portal.js', import.meta.url));

test('static/js/portal.js is built from the current sources', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portal-'));
  try {
    const fresh = join(dir, 'portal.js');
    await buildPortal(fresh);
    const want = await readFile(fresh, 'utf8');
    const got = await readFile(committed, 'utf8');
    assert.ok(got === want, 'static/js/portal.js is stale: run `make portal-js` (npm run build in static/)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(`static/js/portal.js is at most ${BUDGET} bytes gzipped`, async () => {
  const size = gzipSync(await readFile(committed), { level: 9 }).length;
  assert.ok(size <= BUDGET, `portal.js is ${size} bytes gzipped, over the ${BUDGET}-byte budget`);
});

test('chart options follow the chart kind', () => {
  const bar = options({ kind: 'bar', currency: 'USD', categories: ['Email', 'Direct'], series: [{ name: 'Pipeline', values: [5, 3] }] });
  assert.equal(bar.yAxis.type, 'category');
  assert.deepEqual(bar.yAxis.data, ['Email', 'Direct']);
  assert.equal(bar.series[0].type, 'bar');
  assert.equal(bar.legend, undefined);
  const line = options({ kind: 'line', categories: ['2024-01-01'], series: [{ name: 'a', values: [1] }, { name: 'b', values: [2] }] });
  assert.equal(line.xAxis.type, 'category');
  assert.equal(line.series[1].type, 'line');
  assert.ok(line.legend);
});

test('values are formatted in the currency, or plainly', () => {
  assert.match(formatter('EUR', false)(1234.5), /1.234[.,]50|1,234\.50/);
  assert.match(formatter('EUR', false)(1), /€/);
  assert.equal(formatter('', false)(0.5), new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(0.5));
  assert.equal(formatter('NOT-A-CODE', false)(2), new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(2));
});
