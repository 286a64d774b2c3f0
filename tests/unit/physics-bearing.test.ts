import test from 'node:test';
import assert from 'node:assert/strict';
import { BEARINGS, faultOrders, lookupBearing } from '../../src/physics/bearing.js';
import { isoZone, resolveMachine } from '../../src/physics/machine.js';
import { settingsSchema } from '../../src/config/schema.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('fault orders from geometry match the published tables (CWRU 6205 and 6203, XJTU-SY UER204)', () => {
  // CWRU Bearing Data Center tables (REFERENCE.md): the drive end's BPFO 3.5848, BPFI 5.4152, 2×BSF 4.7135, FTF 0.39828.
  const de = faultOrders(lookupBearing('SKF 6205-2RS JEM')!.geometry);
  close(de.bpfo, 3.585, 0.001, 'BPFO 6205');
  close(de.bpfi, 5.415, 0.001, 'BPFI 6205');
  close(2 * de.bsf, 4.7135, 0.001, '2×BSF 6205');
  close(de.ftf, 0.39828, 0.0005, 'FTF 6205');
  const fe = faultOrders(lookupBearing('6203')!.geometry);
  close(fe.bpfo, 3.0530, 0.001, 'BPFO 6203');
  close(fe.bpfi, 4.9469, 0.001, 'BPFI 6203');
  close(2 * fe.bsf, 3.9874, 0.002, '2×BSF 6203');
  // The UESTC manifest's assumed UER204 orders: BPFO 3.0831, BPFI 4.9169, BSF 2.0666, FTF 0.3854.
  const uc = faultOrders(lookupBearing('uc204')!.geometry);
  close(uc.bpfo, 3.0831, 0.0005, 'BPFO UER204');
  close(uc.bpfi, 4.9169, 0.0005, 'BPFI UER204');
  close(uc.bsf, 2.0666, 0.0005, 'BSF UER204');
  close(uc.ftf, 0.3854, 0.0005, 'FTF UER204');
  // A contact angle lowers the ball-pass spread: BPFO + BPFI is always the number of balls.
  const ac = faultOrders({ balls: 12, ballDiameterMm: 8, pitchDiameterMm: 40, contactAngleDeg: 25 });
  close(ac.bpfo + ac.bpfi, 12, 1e-12, 'BPFO + BPFI');
  assert.ok(ac.bpfi - ac.bpfo < 12 * (8 / 40));
  for (const [name, e] of Object.entries(BEARINGS)) assert.ok(e.source.length > 20, `${name} cites its source`);
  assert.equal(lookupBearing('7205'), undefined);
});

test('machine settings resolve to orders, a speed mode and ISO zones; absent settings mean no physics', () => {
  const parse = (machine: unknown) => settingsSchema.parse({ sensors: [{ id: 's', asset: 'a', rateHz: 12000, source: { type: 'simulator' }, machine }] }).sensors[0].machine;
  const m = resolveMachine(parse({ bearing: { designation: '6205' }, speed: { rpm: 1800 }, iso: { group: 2, foundation: 'flexible' } }));
  close(m.orders!.bpfo, 3.585, 0.001, 'BPFO');
  assert.deepEqual(m.speed, { mode: 'fixed', hz: 30 });
  assert.deepEqual(m.isoZones, [2.3, 4.5, 7.1]);
  assert.equal(isoZone(1.0, m.isoZones), 'A');
  assert.equal(isoZone(5.0, m.isoZones), 'C');
  assert.equal(isoZone(8.0, m.isoZones), 'D');
  assert.deepEqual(resolveMachine(parse({ bearing: { orders: { bpfo: 3, bpfi: 5, bsf: 2, ftf: 0.4 } }, speed: { estimate: { minRpm: 600, maxRpm: 3600 } }, iso: { class: 'II' } })),
    { orders: { bpfo: 3, bpfi: 5, bsf: 2, ftf: 0.4 }, speed: { mode: 'estimate', minHz: 10, maxHz: 60 }, isoZones: [1.12, 2.8, 7.1], envelopeBandHz: null });
  assert.deepEqual(resolveMachine(parse({ speed: { topic: 'plant/pump1/rpm' } })).speed, { mode: 'topic', topic: 'plant/pump1/rpm' });
  assert.deepEqual(resolveMachine(undefined), { orders: null, speed: null, isoZones: null, envelopeBandHz: null });
});

test('bad machine settings are refused with the path and what to write instead', () => {
  const issues = (machine: unknown) => {
    const r = settingsSchema.safeParse({ sensors: [{ id: 's', asset: 'a', rateHz: 12000, source: { type: 'simulator' }, machine }] });
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.match(issues({ bearing: { designation: '9999' } }).join('\n'), /sensors\.0\.machine\.bearing\.designation: unknown bearing; known: 6203, 6205, 6305, UER204, UC204/);
  assert.match(issues({ bearing: { designation: '6205', orders: { bpfo: 3, bpfi: 5, bsf: 2, ftf: 0.4 } } }).join('\n'), /machine\.bearing: give exactly one of designation, geometry, orders/);
  assert.match(issues({ speed: {} }).join('\n'), /machine\.speed: give exactly one of rpm, topic, estimate \(got none\)/);
  assert.match(issues({ speed: { estimate: { minRpm: 3000, maxRpm: 600 } } }).join('\n'), /maxRpm must be above minRpm/);
  assert.match(issues({ envelopeBandHz: [4000, 2000] }).join('\n'), /high edge/);
});
