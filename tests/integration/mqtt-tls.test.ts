// mqtt.tls against real mosquitto TLS listeners, with certificates made by openssl in the test: server
// authentication, mutual TLS, and a broker signed by another CA refused. Both the publisher and an MQTT
// sensor source use the same settings (src/util/mqtt-tls.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { BadInputCounter } from '../../src/bad-input.js';
import { sensorSchema, settingsSchema } from '../../src/config/schema.js';
import { createMqttSource } from '../../src/ingest/mqtt-source.js';
import { Publisher } from '../../src/publish/publisher.js';
import type { Frame } from '../../src/types.js';
import { mqttTlsOptions } from '../../src/util/mqtt-tls.js';
import { freePort, mosquittoPath, spawnMosquitto } from '../helpers/broker.js';
import { captureLogger, collect, waitFor } from '../helpers/capture.js';
import { tempDir } from '../helpers/temp.js';

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA, a broker certificate for 127.0.0.1/localhost and a client certificate signed by it, and an unrelated CA. */
function makeCerts(dir: string) {
  const ca = (name: string) => openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  const signed = (name: string, cn: string, ext: string) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('client', 'drsnd-gateway', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => path.join(dir, f);
  return { ca: p('ca.crt'), otherCa: p('other-ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}

async function tlsBroker(t: test.TestContext, dir: string, certs: ReturnType<typeof makeCerts>, mutual: boolean) {
  const port = await freePort();
  const conf = path.join(dir, `mosquitto-${port}.conf`);
  const child: ChildProcess = await spawnMosquitto(mosquittoPath()!, port, conf, [
    // Started as root, mosquitto drops to the "mosquitto" user, which cannot read our private temp dir.
    `user ${os.userInfo().username}`,
    `cafile ${certs.ca}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`, ...(mutual ? ['require_certificate true'] : []),
  ]);
  t.after(() => new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else { child.once('exit', () => resolve()); child.kill('SIGKILL'); } }));
  return `mqtts://127.0.0.1:${port}`;
}

const tlsSettings = (over: Record<string, unknown>) => settingsSchema.parse({ mqtt: { url: 'mqtts://127.0.0.1:1', tls: over } }).mqtt.tls;

function source(t: test.TestContext, url: string, tls: ReturnType<typeof mqttTlsOptions>, id: string) {
  const cap = captureLogger();
  const sensor = sensorSchema.parse({ id, asset: 'pump', rateHz: 1000, axes: ['x'], source: { type: 'mqtt', topic: `tls/${id}`, format: 'json' } });
  const got = collect(createMqttSource(sensor, {
    log: cap.log, badInput: new BadInputCounter(cap.log), maxPayloadBytes: 1 << 20, mqttUrl: url,
    mqttOptions: { reconnectPeriodMs: 200, tls, clientIdPrefix: `tls-test-${id}` },
  }));
  t.after(() => got.sub.unsubscribe());
  return { cap, got };
}

test('TLS: server authentication with mqtt.tls.ca; mutual TLS with cert and key; a client without a certificate and a broker from another CA are refused', { timeout: 60_000 }, async (t) => {
  if (!mosquittoPath()) return t.skip('mosquitto is not installed (apt-get install mosquitto); skipping');
  const dir = tempDir(t, 'drsnd-tls-');
  const certs = makeCerts(dir);
  const serverAuth = await tlsBroker(t, dir, certs, false);
  const mutual = await tlsBroker(t, dir, certs, true);

  // 1. Server authentication: a sensor source receives over TLS, the publisher's status arrives.
  const caOnly = mqttTlsOptions(tlsSettings({ ca: certs.ca }), dir);
  const a = source(t, serverAuth, caOnly, 'srv');
  await waitFor(() => a.cap.count('subscribed') === 1, 'TLS source subscribed');
  const feeder = await connectAsync(serverAuth, { ca: caOnly.ca, clientId: 'tls-feeder' });
  t.after(() => feeder.endAsync());
  await feeder.publishAsync('tls/srv', JSON.stringify({ samples: [1, 2, 3] }), { qos: 1 });
  await waitFor(() => a.got.items.length === 1, 'a frame over TLS');
  assert.deepEqual([...(a.got.items[0] as Frame).channels[0]], [1, 2, 3]);
  await feeder.subscribeAsync('drsnd/tls-gw/status', { qos: 1 });
  const status: string[] = [];
  feeder.on('message', (_topic, payload) => status.push(payload.toString()));
  const pubSettings = settingsSchema.parse({ gateway: { id: 'tls-gw' }, mqtt: { url: serverAuth, tls: { ca: certs.ca } } });
  const publisher = new Publisher({ settings: pubSettings, log: captureLogger().log, tls: caOnly });
  t.after(() => publisher.stop());
  await publisher.start();
  await publisher.ready();
  await waitFor(() => status.includes('online'), 'the publisher\'s status over TLS');

  // 2. Mutual TLS: with the client certificate the source connects; without it the broker refuses.
  const withCert = mqttTlsOptions(tlsSettings({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }), dir);
  const b = source(t, mutual, withCert, 'mtls');
  await waitFor(() => b.cap.count('subscribed') === 1, 'mutual TLS source subscribed');
  const c = source(t, mutual, caOnly, 'nocert');
  await waitFor(() => c.cap.count('mqtt error') + c.cap.count('broker unreachable') + c.cap.count('connection lost') >= 1, 'the broker refuses a client without a certificate');

  // 3. A broker whose certificate another CA signed is refused by verification.
  const wrongCa = mqttTlsOptions(tlsSettings({ ca: certs.otherCa }), dir);
  const d = source(t, serverAuth, wrongCa, 'wrongca');
  await waitFor(() => d.cap.lines.some((l) => /certificate/i.test(String(l.err ?? ''))), 'a certificate error');
  // Not a sleep: both keep retrying (every 200 ms) and each attempt is refused again, logged as it happens.
  const refusals = (x: typeof c) => x.cap.lines.filter((l) => l.msg === 'mqtt error' && /certificate/i.test(String(l.err ?? ''))).length;
  await waitFor(() => refusals(c) >= 3 && refusals(d) >= 3, 'two retries of each refused as well');
  assert.equal(c.cap.count('subscribed'), 0, 'no certificate: never subscribed');
  assert.equal(d.cap.count('subscribed'), 0, 'wrong CA: never subscribed');
  assert.equal(d.cap.count('connected to broker'), 0);
});

test('mqtt.tls: an unreadable file is a configuration error naming the setting; cert without key and TLS on mqtt:// are refused', () => {
  assert.throws(() => mqttTlsOptions(tlsSettings({ ca: '/nonexistent/ca.crt' }), '/'), /mqtt\.tls\.ca: cannot read \/nonexistent\/ca\.crt \(ENOENT\)/);
  assert.throws(() => settingsSchema.parse({ mqtt: { url: 'mqtts://h:8883', tls: { cert: 'c.pem' } } }), /set both tls.cert and tls.key/);
  assert.throws(() => settingsSchema.parse({ mqtt: { url: 'mqtt://h:1883', tls: { ca: 'ca.pem' } } }), /not mqtts:\/\//);
});
