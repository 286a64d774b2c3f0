// The Prometheus text format as Prometheus parses it: HELP/TYPE per family, escaped label values,
// cumulative histogram buckets ending in +Inf with _sum and _count, values read at scrape time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../src/metrics/registry.js';

test('exposition: counters with escaped labels, cumulative histograms, scrape-time values', () => {
  const r = new Registry();
  const c = r.labeled('x_total', 'Things.\nTwo lines.', 'counter', ['sensor', 'class']);
  c.inc(['a', 'Normal']);
  c.inc(['a', 'Normal'], 2);
  c.inc(['b"\\', 'IR\n007']);
  const h = r.histogram('lat_seconds', 'Latency.', [0.1, 0.5]);
  for (const v of [0.05, 0.1, 0.3, 7]) h.observe(v);
  let n = 0;
  r.collected('g', 'Read when scraped.', 'gauge', [], () => [[[], ++n]]);
  assert.equal(r.exposition(), [
    '# HELP x_total Things.\\nTwo lines.', '# TYPE x_total counter',
    'x_total{sensor="a",class="Normal"} 3', 'x_total{sensor="b\\"\\\\",class="IR\\n007"} 1',
    '# HELP lat_seconds Latency.', '# TYPE lat_seconds histogram',
    'lat_seconds_bucket{le="0.1"} 2', 'lat_seconds_bucket{le="0.5"} 3', 'lat_seconds_bucket{le="+Inf"} 4', 'lat_seconds_sum 7.45', 'lat_seconds_count 4',
    '# HELP g Read when scraped.', '# TYPE g gauge', 'g 1', '',
  ].join('\n'));
  assert.match(r.exposition(), /^g 2$/m, 'read again at the next scrape');
});
