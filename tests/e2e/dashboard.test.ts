// The dashboard in a real browser (Debian's chromium, headless, through playwright-core) against a
// running daemon (real mosquitto, real SQLite, the shipped model, simulated bearings): the page loads
// with the sensors, live updates arrive over the event stream, an alert can be acknowledged from the
// page, and its snapshot's waveform and spectrum are drawn. A screenshot is kept as a CI artefact in
// $TMPDIR/drsnd-ci-artefacts/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import { settingsSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { startTestBroker } from '../helpers/broker.js';
import { projectRoot } from '../helpers/data.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

const CHROMIUM = process.env.DRSND_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const simulated = (id: string, asset: string, condition: string, seed: number) => ({
  id, asset, rateHz: 12_000, unit: 'g', axes: ['x'], range: 50, source: { type: 'simulator', condition, severity: 1, rpm: 1797, seed },
});

test('dashboard in headless Chromium: loads, follows the live stream, acknowledges an alert, draws its snapshot', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does as root); skipping`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  const dir = tempDir(t, 'drsnd-dash-');
  const settings = settingsSchema.parse({
    gateway: { id: 'dash' },
    mqtt: { url: broker.url, reconnectMs: 200 },
    store: { path: path.join(dir, 'd.db') },
    model: { dir: path.join(projectRoot, 'models', 'drsn-cw-cwru') },
    inference: { workers: 1 },
    http: { port: 0 },
    sensors: [simulated('fan2-de', 'fan2', 'outer_race', 2), simulated('pump1-de', 'pump1', 'normal', 1)],
  });
  const app = createApp(settings, { log: createLogger('silent'), cwd: dir });
  t.after(() => app.stop());
  await app.start();
  const base = app.httpUrl()!;

  const browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 1400 },
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  assert.match(await page.textContent('#model') ?? '', /^drsn-cw-cwru /);
  await page.waitForFunction(`document.querySelectorAll('#sensors tbody tr').length === 2`);

  // Live: health events keep arriving; the faulty sensor turns fault; its alert shows up.
  await page.waitForFunction('Number(document.body.dataset.events ?? 0) >= 3', undefined, { timeout: 30_000 });
  assert.match(await page.textContent('#live') ?? '', /^live · \d+ updates$/);
  await page.waitForSelector('#sensors tr[data-sensor="fan2-de"] .status-fault', { timeout: 60_000 });
  await page.waitForSelector('#alerts tbody tr button', { timeout: 30_000 });
  const alertId = await page.getAttribute('#alerts tbody tr:has(button)', 'data-alert');

  // Ack from the page: the API and the page say so.
  await page.click(`#alerts tr[data-alert="${alertId}"] button`);
  await page.waitForFunction(`/by dashboard/.test(document.querySelector('#alerts tr[data-alert="${alertId}"] .acked')?.textContent ?? '')`);
  assert.equal((await request(`${base}/api/v1/alerts/${alertId}`)).body.acknowledgedBy, 'dashboard');

  // The alert's snapshot: waveform (2,048 points) and spectrum drawn.
  await page.click(`#alerts tr[data-alert="${alertId}"]`);
  await page.waitForFunction(`(document.querySelector('#waveform path')?.getAttribute('d')?.length ?? 0) > 1000`, undefined, { timeout: 15_000 });
  assert.equal((await page.getAttribute('#waveform path', 'd'))!.split('L').length, 2048);
  assert.equal((await page.getAttribute('#spectrum path', 'd'))!.split('L').length, 1025);
  assert.ok((await page.locator('#history circle').count()) > 10, 'the history chart has points');

  const artefacts = path.join(os.tmpdir(), 'drsnd-ci-artefacts');
  mkdirSync(artefacts, { recursive: true });
  const shot = path.join(artefacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(errors, [], 'no script errors on the page');
});
