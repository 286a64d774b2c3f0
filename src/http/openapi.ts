// The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. tests/integration/http-api
// checks every documented response schema against the real responses, so this cannot drift from them.
const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullable = (t: Record<string, unknown>) => ({ ...t, type: [t.type as string, 'null'] });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: 'object', properties, required });

const schemas = {
  Error: obj({ error: obj({ code: { ...str, description: 'stable code, e.g. DRSND_NOT_FOUND, DRSND_USAGE, DRSND_UNAUTHORIZED, DRSND_BUSY' }, message: str }) }),
  Diagnosis: obj({
    id: int, sensorId: str, asset: str, channel: str, windowStart: time, windowEnd: time, classIndex: int, className: str,
    kind: { type: 'string', enum: ['normal', 'fault'] }, confidence: num, probabilities: { type: 'array', items: num },
    modelId: str, modelVersion: str, latencyMs: num, createdAt: time,
  }),
  Alert: obj({
    id: int, state: { type: 'string', enum: ['active', 'cleared'] }, sensorId: str, asset: str, className: str,
    raisedAt: time, clearedAt: nullable(time), lastChangedAt: time, peakConfidence: num,
    acknowledgedAt: nullable(time), acknowledgedBy: nullable(str),
  }),
  AlertEvent: obj({
    id: int, alertId: int, transition: { type: 'string', enum: ['raised', 'changed', 'cleared', 'acknowledged'] },
    className: str, previousClassName: nullable(str), confidence: num, at: time,
  }),
  SensorState: obj({
    gatewayId: str, sensorId: str, asset: str, status: { type: 'string', enum: ['ok', 'fault', 'unknown', 'degraded'] },
    problem: nullable(str), lastClass: nullable(str), lastKind: { type: ['string', 'null'], enum: ['normal', 'fault', null] },
    confidence: nullable(num), channel: nullable(str),
    activeAlert: { type: ['object', 'null'], properties: { alertId: nullable(int), className: str, raisedAt: nullable(time) }, required: ['alertId', 'className', 'raisedAt'] },
    time: nullable(time), updatedAt: time,
  }),
  Check: obj({ ok: { type: 'boolean' }, detail: str }, ['ok']),
  Baseline: obj({
    sensorId: str, channel: str, state: { type: 'string', enum: ['none', 'learning', 'active'] },
    learning: { type: ['object', 'null'], properties: { since: time, until: nullable(time), windows: int, minWindows: int }, required: ['since', 'until', 'windows', 'minWindows'] },
    active: {
      type: ['object', 'null'],
      properties: {
        since: time, learntFrom: time, windows: int,
        levels: { type: 'array', items: obj({ feature: { type: 'string', enum: ['rms', 'velocity'] }, unit: str, baseline: num, alert: num, danger: num, spreadDb: num }) },
      },
      required: ['since', 'learntFrom', 'windows', 'levels'],
    },
    last: {
      type: ['object', 'null'], description: 'the newest window judged against the active baseline',
      properties: { at: time, level: { type: 'string', enum: ['normal', 'alert', 'danger'] }, ratio: num, score: num, reason: str }, required: ['at', 'level', 'ratio', 'score', 'reason'],
    },
  }),
  SnapshotMeta: obj({
    id: int, alertId: int, eventId: int, sensorId: str, channel: str, windowStart: time, windowEnd: time,
    rateHz: num, unit: str, className: str, confidence: num, length: { ...int, description: 'samples' }, createdAt: time,
  }),
} as const;

const page = (item: string) => obj({ items: { type: 'array', items: ref(item) }, next: { type: ['string', 'null'], description: 'pass as `cursor` for the next (older) page' } });
const json = (schema: unknown, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errors = {
  400: json(ref('Error'), 'bad parameter (DRSND_USAGE)'),
  401: json(ref('Error'), 'missing or wrong bearer token (DRSND_UNAUTHORIZED)'),
  503: json(ref('Error'), 'too many queries waiting (DRSND_BUSY) or stopping (DRSND_UNAVAILABLE); retry'),
};
const q = (name: string, description: string, schema: unknown = str) => ({ name, in: 'query', required: false, description, schema });
const limit = q('limit', 'rows per page (default 100, at most http.maxPageSize)', { type: 'integer', minimum: 1 });
const cursor = q('cursor', 'the `next` of the previous page');
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const timeDoc = 'ISO time (2026-03-01T12:00Z), epoch ms, or a duration ago (30s, 15m, 2h, 7d, 1w); compared with windowEnd';

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'drsnd HTTP API', version: '1', description: 'Diagnoses, alerts and state of a drsnd gateway. README, "HTTP API".' },
    components: {
      schemas: {
        ...schemas,
        DiagnosisPage: page('Diagnosis'),
        AlertPage: page('Alert'),
        AlertDetail: {
          type: 'object',
          properties: { ...schemas.Alert.properties, events: { type: 'array', items: ref('AlertEvent') }, snapshots: { type: 'array', items: ref('SnapshotMeta') } },
          required: [...schemas.Alert.required, 'events', 'snapshots'],
        },
        Snapshot: {
          type: 'object',
          properties: {
            ...schemas.SnapshotMeta.properties,
            samples: { type: 'array', items: num, description: 'the window before normalization, in `unit` at `rateHz`' },
            spectrum: obj({ binHz: num, magnitude: { type: 'array', items: num, description: 'Hann-windowed single-sided amplitude, bins 0..n/2' } }),
            evidence: { type: ['object', 'null'], description: 'physics evidence (envelope spectrum, fault-frequency markers) where the daemon has it' },
          },
          required: [...schemas.SnapshotMeta.required, 'samples', 'spectrum', 'evidence'],
        },
        Sensors: obj({ items: { type: 'array', items: ref('SensorState') } }),
        Baselines: obj({ items: { type: 'array', items: ref('Baseline') } }),
        Health: obj({ status: { type: 'string', enum: ['ready', 'not ready'] }, ready: { type: 'boolean' }, checks: obj({ broker: ref('Check'), store: ref('Check'), engine: ref('Check') }) }),
        Model: obj({
          id: str, version: str, architecture: str, engine: str,
          input: obj({ sampleRateHz: num, windowLength: int, channels: int, unit: str, bandLimitHz: num }),
          classes: { type: 'array', items: obj({ index: int, name: str, kind: { type: 'string', enum: ['normal', 'fault'] }, component: nullable(str), sizeIn: nullable(num) }) },
        }),
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'required when http.token is set (always off loopback)' } },
    },
    security: [{}, { bearer: [] }],
    paths: {
      '/api/v1/sensors': { get: { summary: 'every sensor with its status, latest class and active alert', responses: { 200: json(ref('Sensors')), 401: errors[401] } } },
      '/api/v1/diagnoses': {
        get: {
          summary: 'stored diagnoses, newest first (the filters of `drsnd history`)',
          parameters: [q('sensor', 'sensor id'), q('asset', 'asset'), q('class', 'class name'), q('since', timeDoc), q('until', timeDoc), limit, cursor],
          responses: { 200: json(ref('DiagnosisPage')), ...errors },
        },
      },
      '/api/v1/alerts': {
        get: {
          summary: 'alerts, newest raised first',
          parameters: [q('state', 'active | cleared | all (default)', { type: 'string', enum: ['active', 'cleared', 'all'] }), q('sensor', 'sensor id'), limit, cursor],
          responses: { 200: json(ref('AlertPage')), ...errors },
        },
      },
      '/api/v1/alerts/{id}': { get: { summary: 'one alert with its events', parameters: [idParam], responses: { 200: json(ref('AlertDetail')), 404: json(ref('Error'), 'no such alert (DRSND_NOT_FOUND)'), ...errors } } },
      '/api/v1/snapshots/{id}': {
        get: {
          summary: 'an alert snapshot: the raw window that raised or changed the alert',
          parameters: [idParam, q('format', 'json (default, with the spectrum), csv, or f32 (float32 little-endian)', { type: 'string', enum: ['json', 'csv', 'f32'] })],
          responses: { 200: json(ref('Snapshot')), 404: json(ref('Error'), 'no such snapshot (DRSND_NOT_FOUND)'), ...errors },
        },
      },
      '/api/v1/alerts/{id}/ack': {
        post: {
          summary: 'acknowledge an alert: recorded, published on events/alert and on the retained alert',
          parameters: [idParam],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { by: { type: 'string', maxLength: 100 } } } } } },
          responses: { 200: json(ref('Alert')), 404: json(ref('Error'), 'no such alert (DRSND_NOT_FOUND)'), ...errors },
        },
      },
      '/api/v1/baselines': {
        get: {
          summary: 'on-site baselines (docs/baseline.md): every sensor channel\'s state, learnt levels and latest judgement',
          parameters: [q('sensor', 'sensor id'), q('channel', 'one axis of the sensor')],
          responses: { 200: json(ref('Baselines')), 404: json(ref('Error'), 'no such sensor or channel (DRSND_NOT_FOUND)'), ...errors },
        },
      },
      '/api/v1/baselines/{sensor}/{action}': {
        post: {
          summary: 'start learning a sensor\'s baseline (optionally `for` a duration), stop (it becomes the baseline) or cancel: `drsnd baseline`',
          parameters: [
            { name: 'sensor', in: 'path', required: true, schema: str },
            { name: 'action', in: 'path', required: true, schema: { type: 'string', enum: ['start', 'stop', 'cancel'] } },
          ],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { channel: str, for: { ...str, description: 'start only: 30m, 8h, 2d' } } } } } },
          responses: {
            200: json(ref('Baselines')), 404: json(ref('Error'), 'no such sensor or channel (DRSND_NOT_FOUND)'),
            409: json(ref('Error'), 'already learning, not learning, or fewer windows than baseline.minWindows (DRSND_CONFLICT)'), ...errors,
          },
        },
      },
      '/api/v1/health': { get: { summary: 'readiness: broker connected, store writing, inference engine running', responses: { 200: json(ref('Health')), 503: json(ref('Health'), 'not ready'), 401: errors[401] } } },
      '/api/v1/health/live': { get: { summary: 'liveness: the daemon answers', responses: { 200: json(obj({ status: { type: 'string', enum: ['alive'] } })) } } },
      '/api/v1/model': { get: { summary: 'the model in use (drsn.json) and the engine running it', responses: { 200: json(ref('Model')), 401: errors[401] } } },
      '/api/v1/stream': {
        get: {
          summary: 'live server-sent events: `health` (a SensorState, at most ~1/s per sensor unless it changes) and `alert` (every transition and acknowledgement)',
          responses: { 200: { description: 'text/event-stream' }, 503: json(ref('Error'), 'too many stream clients (DRSND_BUSY)') },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}
