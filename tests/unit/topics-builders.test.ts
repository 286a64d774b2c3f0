// Topic names are the public interface of drsnd: these are the names dashboards subscribe to.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDrsndError } from '../../src/errors.js';
import { Topics } from '../../src/publish/topics.js';

test('topics follow <baseTopic>/<gateway>/... as documented', () => {
  const t = new Topics('drsnd', 'gw-1');
  assert.equal(t.base, 'drsnd/gw-1');
  assert.equal(t.status(), 'drsnd/gw-1/status');
  assert.equal(t.diagnosis('pump1', 'de'), 'drsnd/gw-1/pump1/de/diagnosis');
  assert.equal(t.health('pump1', 'de'), 'drsnd/gw-1/pump1/de/health');
  assert.equal(t.alert('pump1', 'de'), 'drsnd/gw-1/pump1/de/alert');
  assert.equal(t.alertEvents(), 'drsnd/gw-1/events/alert');
});

test('a multi-level base topic is kept; a trailing slash is not doubled', () => {
  assert.equal(new Topics('plant/line3/', 'gw').status(), 'plant/line3/gw/status');
});

test('levels that would break the topic tree are refused with the offending value', () => {
  for (const bad of ['a/b', 'a+', '#', '']) {
    assert.throws(() => new Topics('drsnd', 'gw').health(bad, 's'), (e) => isDrsndError(e, ErrorCodes.CONFIG_INVALID) && e.message.includes(`"${bad}"`));
    assert.throws(() => new Topics('drsnd', bad), (e) => isDrsndError(e, ErrorCodes.CONFIG_INVALID));
  }
  assert.throws(() => new Topics('drsnd/#', 'gw'), (e) => isDrsndError(e, ErrorCodes.CONFIG_INVALID));
  assert.throws(() => new Topics('drsnd//x', 'gw'), (e) => isDrsndError(e, ErrorCodes.CONFIG_INVALID));
});

test('per-sensor topics can never collide with status or the event topic', () => {
  const t = new Topics('drsnd', 'gw');
  // Even an asset called "events" and a sensor called "alert" stay one level deeper.
  assert.notEqual(t.alert('events', 'alert'), t.alertEvents());
  assert.equal(t.alertEvents().split('/').length, 4);
  assert.equal(t.alert('events', 'x').split('/').length, 5);
});
