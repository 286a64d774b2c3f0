// drsnd dashboard: plain JavaScript served by the daemon, no build step. Reads the HTTP API (README,
// "HTTP API"), follows the live stream, acknowledges alerts, draws history, waveform and spectrum.
const $ = (sel) => document.querySelector(sel);
const state = { sensors: new Map(), components: new Map(), events: 0, detail: null, historySensor: null };
const SVG = 'http://www.w3.org/2000/svg';

/** fetch with the bearer token (asked for once when the daemon wants one, kept in localStorage). */
async function api(path, opts = {}, retry = true) {
  const token = localStorage.getItem('drsnd-token');
  const headers = { ...(opts.headers || {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(path, { ...opts, headers });
  if (res.status === 401 && retry) {
    const t = prompt('This drsnd needs its HTTP token (http.token):');
    if (t) { localStorage.setItem('drsnd-token', t); return api(path, opts, false); }
  }
  return res;
}
const json = async (path, opts) => (await api(path, opts)).json();
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };

async function loadModel() {
  const m = await json('/api/v1/model');
  $('#model').textContent = `${m.id} ${m.version} · ${m.engine}`;
  for (const c of m.classes) state.components.set(c.name, c.component);
}

async function loadHealth() {
  const h = await json('/api/v1/health');
  const el = $('#health');
  el.textContent = h.ready ? 'ready' : `not ready: ${Object.entries(h.checks).filter(([, c]) => !c.ok).map(([k, c]) => `${k} (${c.detail})`).join(', ')}`;
  el.className = `badge ${h.ready ? 'on' : 'off'}`;
}

function renderSensors() {
  const body = $('#sensors tbody');
  body.replaceChildren(...[...state.sensors.values()].map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.sensor = s.sensorId;
    tr.className = 'clickable';
    tr.append(cell(s.sensorId), cell(s.asset), cell(s.status, `status-${s.status}`), cell(s.lastClass),
      cell(s.lastClass ? state.components.get(s.lastClass) ?? '—' : ''), cell(s.confidence?.toFixed(3)), cell(fmtTime(s.time)));
    tr.onclick = () => selectHistory(s.sensorId);
    return tr;
  }));
}

async function loadSensors() {
  const { items } = await json('/api/v1/sensors');
  for (const s of items) state.sensors.set(s.sensorId, s);
  renderSensors();
  const sel = $('#history-sensor');
  sel.replaceChildren(...items.map((s) => new Option(s.sensorId, s.sensorId)));
  sel.onchange = () => selectHistory(sel.value);
  if (items.length && !state.historySensor) selectHistory(items[0].sensorId);
}

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** A polyline of ys over x = 0..n-1 (or given xs), scaled into the 800 × 200 view box. */
function drawLine(svg, ys, xs, markers = []) {
  const n = ys.length;
  const xmin = xs ? xs[0] : 0, xmax = xs ? xs[n - 1] : n - 1;
  let ymin = Math.min(...ys), ymax = Math.max(...ys);
  if (ymax === ymin) { ymax += 1; ymin -= 1; }
  const X = (x) => ((x - xmin) / (xmax - xmin || 1)) * 800;
  const Y = (y) => 195 - ((y - ymin) / (ymax - ymin)) * 190;
  let d = '';
  for (let i = 0; i < n; i++) d += `${i ? 'L' : 'M'}${X(xs ? xs[i] : i).toFixed(1)},${Y(ys[i]).toFixed(1)}`;
  const children = [svgEl('path', { d })];
  for (const m of markers) {
    children.push(svgEl('line', { class: 'marker', x1: X(m.hz), x2: X(m.hz), y1: 0, y2: 200 }));
    const t = svgEl('text', { x: X(m.hz) + 3, y: 12 }); t.textContent = m.name; children.push(t);
  }
  svg.replaceChildren(...children);
}

async function selectHistory(sensorId) {
  state.historySensor = sensorId;
  $('#history-sensor').value = sensorId;
  const { items } = await json(`/api/v1/diagnoses?sensor=${encodeURIComponent(sensorId)}&limit=300`);
  const svg = $('#history');
  if (!items.length) { svg.replaceChildren(); return; }
  const ts = items.map((d) => Date.parse(d.windowEnd));
  const t0 = Math.min(...ts), t1 = Math.max(...ts);
  svg.replaceChildren(...items.map((d, i) => {
    const c = svgEl('circle', { cx: (((ts[i] - t0) / (t1 - t0 || 1)) * 790 + 5).toFixed(1), cy: (195 - d.confidence * 190).toFixed(1), r: 2.5, class: d.kind });
    const title = svgEl('title', {}); title.textContent = `${d.windowEnd} ${d.className} ${d.confidence.toFixed(3)}`; c.append(title);
    return c;
  }));
}

async function loadAlerts() {
  const { items } = await json('/api/v1/alerts?limit=50');
  $('#alerts tbody').replaceChildren(...items.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.alert = a.id;
    tr.className = 'clickable';
    const ack = document.createElement('td');
    if (a.acknowledgedAt === null) {
      const b = document.createElement('button');
      b.textContent = 'Ack';
      b.onclick = async (e) => {
        e.stopPropagation();
        const by = localStorage.getItem('drsnd-user') || 'dashboard';
        await api(`/api/v1/alerts/${a.id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by }) });
        await loadAlerts();
      };
      ack.append(b);
    }
    tr.append(cell(a.id), cell(a.state, a.state === 'active' ? 'status-fault' : ''), cell(a.sensorId), cell(a.className), cell(fmtTime(a.raisedAt)),
      cell(a.peakConfidence.toFixed(3)), cell(a.acknowledgedAt ? `${fmtTime(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}` : '', 'acked'), ack);
    tr.onclick = () => showAlert(a.id);
    return tr;
  }));
}

async function showAlert(id) {
  state.detail = id;
  const a = await json(`/api/v1/alerts/${id}`);
  $('#detail').hidden = false;
  $('#detail-title').textContent = `${a.id}: ${a.sensorId} ${a.className} (${a.state})`;
  const snap = a.snapshots[0];
  $('#detail-info').textContent = snap
    ? `Window ${snap.windowStart} (${snap.channel}, ${snap.length} samples at ${snap.rateHz} Hz, ${snap.unit}) diagnosed ${snap.className} at ${snap.confidence}. Events: ${a.events.map((e) => e.transition).join(', ')}.`
    : `No snapshot kept for this alert. Events: ${a.events.map((e) => e.transition).join(', ')}.`;
  if (!snap) { $('#waveform').replaceChildren(); $('#spectrum').replaceChildren(); return; }
  const s = await json(`/api/v1/snapshots/${snap.id}`);
  drawLine($('#waveform'), s.samples);
  const hz = s.spectrum.magnitude.map((_, k) => k * s.spectrum.binHz);
  // Issue 18's physics evidence, once the daemon has it: fault-frequency markers on the spectrum and the
  // envelope spectrum beside it (snapshot-format.ts documents the shape).
  drawLine($('#spectrum'), s.spectrum.magnitude, hz, s.evidence?.markers ?? []);
  $('#evidence').textContent = s.evidence ? JSON.stringify(s.evidence) : '';
}

/** Server-sent events over fetch (EventSource cannot send the bearer token). */
async function follow() {
  const live = $('#live');
  for (;;) {
    try {
      const res = await api('/api/v1/stream');
      if (!res.ok || !res.body) throw new Error(`stream: ${res.status}`);
      live.className = 'badge on';
      live.textContent = 'live';
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (type && data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (e) {
      console.warn(e);
    }
    live.className = 'badge off';
    live.textContent = 'offline';
    await new Promise((r) => setTimeout(r, 2000));
  }
}

let alertsReload;
let historyReload = 0;
function onEvent(type, data) {
  state.events++;
  document.body.dataset.events = String(state.events);
  $('#live').textContent = `live · ${state.events} updates`;
  if (type === 'health') {
    state.sensors.set(data.sensorId, data);
    renderSensors();
    if (data.sensorId === state.historySensor && Date.now() - historyReload > 2000) {
      historyReload = Date.now();
      selectHistory(data.sensorId);
    }
  } else if (type === 'alert') {
    clearTimeout(alertsReload);
    alertsReload = setTimeout(() => { loadAlerts(); if (state.detail === data.alertId) showAlert(data.alertId); }, 200);
  }
}

await loadModel();
await Promise.all([loadSensors(), loadAlerts(), loadHealth()]);
setInterval(loadHealth, 10_000);
follow();
document.body.dataset.ready = 'true';
