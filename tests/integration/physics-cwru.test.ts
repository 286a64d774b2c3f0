// The physics on real data the thresholds were chosen on (CWRU, drive end, all 37 records, speed fixed
// at each record's rpm): no sensor finding in any window of good recordings, and the envelope names the
// faults the literature finds diagnosable there (inner race at every size and load; outer race 0.007"
// and 0.021"; Smith & Randall, MSSP 64-65 (2015): OR014 and most ball records show no clear lines).
import test from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { loadCwruRecords } from '../../src/data/cwru.js';
import { loadModel } from '../../src/model/metadata.js';
import { signalPipeline } from '../../src/pipeline/sensor-pipeline.js';
import { physicsVerdict } from '../../src/physics/evidence.js';
import { resolveMachine } from '../../src/physics/machine.js';
import type { Frame, SensorMeta } from '../../src/types.js';
import { cwruDir, projectRoot } from '../helpers/data.js';
import path from 'node:path';

test('CWRU: no sensor finding on any window; BPFI named on every inner-race record, BPFO on OR007/OR021, nothing on the healthy one', { timeout: 120_000 }, async (t) => {
  const dir = cwruDir(t);
  if (!dir) return;
  const model = (await loadModel(path.join(projectRoot, 'models', 'drsn-cw-cwru'))).meta;
  const verdicts = new Map<string, number>();
  for (const r of loadCwruRecords(dir)) {
    const sensor: SensorMeta = { id: r.id, asset: 'cwru', rateHz: r.rateHz, unit: r.unit, axes: ['x'], machine: resolveMachine({ bearing: { designation: '6205' }, speed: { rpm: r.rpm ?? 1797 } }) };
    const frames: Frame[] = [];
    for (let i = 0; i < r.data.length; i += 1024) frames.push({ sensorId: r.id, t0: (i / r.rateHz) * 1000, rateHz: r.rateHz, unit: r.unit, axes: ['x'], channels: [r.data.subarray(i, i + 1024)] });
    const ws = await lastValueFrom(from(frames).pipe(signalPipeline({ sensor, model, hop: null, evidenceEverySec: 0 }), toArray()));
    const flagged = ws.filter((w) => w.physics!.sensorFaults.length > 0);
    assert.equal(flagged.length, 0, `${r.id} ${r.className}: ${JSON.stringify(flagged[0]?.physics?.sensorFaults)}`);
    // One verdict per analysed buffer (windows share their buffer's evidence); every buffer is analysed
    // here (evidenceEverySec 0), the daemon analyses one every EVIDENCE_EVERY_SEC.
    const buffers = [...new Map(ws.filter((w) => w.physics!.evidence).map((w) => [w.physics!.evidence!.at, w.physics!.evidence!])).values()];
    assert.ok(buffers.length >= 3, `${r.id}: ${buffers.length} buffers`);
    const expected = r.kind === 'normal' ? null : r.component === 'inner_race' ? 'inner_race' : r.component === 'outer_race' && r.sizeIn !== 0.014 ? 'outer_race' : undefined;
    if (expected === undefined) continue;
    const right = buffers.filter((e) => physicsVerdict(e) === expected).length;
    verdicts.set(`${r.className}@${r.loadHp}hp`, right / buffers.length);
  }
  assert.equal(verdicts.size, 1 + 12 + 8);
  const low = [...verdicts].filter(([, share]) => share < 0.5);
  assert.deepEqual(low, [], 'records where the envelope names the fault in fewer than half the buffers');
});
