// The embedded broker (aedes) with mqtt.embedded.username/password: a client without them, or with a
// wrong password, is refused; drsnd's own clients log in. Without credentials it accepts anyone (the
// loopback-only default).
import test from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { exposureWarning, isLoopback, startEmbeddedBroker } from '../../src/publish/embedded-broker.js';

test('with credentials set, the embedded broker refuses anonymous clients and wrong passwords, and lets the right ones in', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0, { username: 'drsnd', password: 'p4ss-embedded' });
  t.after(() => broker.stop());
  const attempt = (opts: { username?: string; password?: string }) =>
    connectAsync(broker.url, { ...opts, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3_000, clientId: `t-${Math.random()}` });
  await assert.rejects(attempt({}), /Bad username or password|Not authorized/i, 'anonymous');
  await assert.rejects(attempt({ username: 'drsnd', password: 'wrong' }), /Bad username or password|Not authorized/i, 'wrong password');
  await assert.rejects(attempt({ username: 'intruder', password: 'p4ss-embedded' }), /Bad username or password|Not authorized/i, 'wrong user');
  const ok = await attempt({ username: 'drsnd', password: 'p4ss-embedded' });
  // A retained fake alert can only come from someone holding the credentials.
  await ok.publishAsync('drsnd/gw/events/alert', 'x', { qos: 1 });
  await ok.endAsync();
});

test('without credentials it accepts anyone; which addresses count as loopback', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0);
  t.after(() => broker.stop());
  const c = await connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  await c.endAsync();
  assert.deepEqual(['127.0.0.1', '127.0.1.1', 'localhost', '::1', '0.0.0.0', '::', '192.168.1.5'].map(isLoopback), [true, true, true, true, false, false, false]);
  // The daemon logs this (a warn line) when it starts the embedded broker beyond loopback.
  assert.equal(exposureWarning('127.0.0.1', false), undefined);
  assert.match(exposureWarning('0.0.0.0', false)!, /accepting anyone.*set mqtt\.embedded\.username and password/);
  assert.match(exposureWarning('0.0.0.0', true)!, /without TLS/);
});
