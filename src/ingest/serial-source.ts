// Serial sensors (USB CDC, UART adapters): CSV lines or drsnd binary frames (docs/formats.md).
// The port is reopened with capped exponential backoff whenever it is missing, unplugged or fails;
// each state change is logged once, retries only at debug level, so a sensor left unplugged over a
// weekend costs one journal line, not thousands.
import { Observable, type Subscriber } from 'rxjs';
import { SerialPort } from 'serialport';
import type { SensorSettings, SerialSourceSettings } from '../config/schema.js';
import { DrsndError, ErrorCodes } from '../errors.js';
import type { Logger } from '../log.js';
import type { Frame } from '../types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { ArrivalClock } from './decoders/arrival-clock.js';
import { backlogEmitter } from './backlog-emitter.js';
import { BinaryFrameDecoder } from './decoders/binary-frame.js';
import { csvLayout, looksLikeHeader, parseCsvLine, type CsvLayout } from './decoders/csv.js';
import { CsvFramer } from './decoders/csv-framer.js';
import { LineSplitter } from './decoders/line-splitter.js';
import type { SourceContext } from './source.js';

/** A partial CSV frame is emitted at the latest this long after its first sample (latency bound). */
export const CSV_FLUSH_MS = 100;
/** Longest CSV line accepted; longer ones are rejected and skipped up to the next line end. */
export const CSV_MAX_LINE_BYTES = 4096;
/**
 * Backoff restarts from `reconnect.initialMs` only after the port stayed open this long, so a device
 * that opens and drops at once (bad cable, crashing firmware) backs off instead of flapping at full speed.
 */
export const STABLE_OPEN_MS = 5_000;

/** What a wire format does with the bytes of one port session. */
interface FormatHandler {
  data(chunk: Uint8Array, arrivalMs: number): void;
  /** A port session starts; `reopened` = not the first one, so the next frame is a discontinuity. */
  opened(reopened: boolean): void;
  /** The session ended (unplug, error, stop). */
  closed(): void;
}

export function createSerialSource(sensor: SensorSettings, ctx: SourceContext): Observable<Frame> {
  const cfg = sensor.source;
  if (cfg.type !== 'serial') throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensor "${sensor.id}" is not a serial sensor`);
  // Fail at wiring time, not on the first line, when columns and axes disagree.
  let layout: CsvLayout | undefined;
  if (cfg.format === 'csv') {
    try {
      layout = csvLayout(sensor.axes, cfg.csv);
    } catch (e) {
      throw new DrsndError(ErrorCodes.CONFIG_INVALID, `sensors.${sensor.id}.source.csv: ${(e as Error).message}`);
    }
  }
  const now = ctx.now ?? Date.now;
  return new Observable<Frame>((subscriber) => {
    const log = ctx.log.child({ component: 'serial-source', sensor: sensor.id, path: cfg.path });
    const handler = layout ? csvHandler(sensor, cfg, layout, ctx, subscriber) : frameHandler(sensor, cfg, ctx, subscriber);
    const port = new ReconnectingPort(cfg, log, ctx.clock ?? systemClock, {
      data: (chunk) => handler.data(chunk, now()),
      opened: (reopened) => handler.opened(reopened),
      closed: () => handler.closed(),
    });
    port.start();
    return () => {
      port.stop();
      handler.closed();
    };
  });
}

function csvHandler(
  sensor: SensorSettings, cfg: SerialSourceSettings, initial: CsvLayout, ctx: SourceContext, out: Subscriber<Frame>,
): FormatHandler {
  const csv = cfg.csv;
  let layout = initial;
  const splitter = new LineSplitter(CSV_MAX_LINE_BYTES, true);
  const framer = new CsvFramer({ sensorId: sensor.id, rateHz: sensor.rateHz, unit: sensor.unit, axes: sensor.axes }, csv.frameSamples);
  // Lines without a time column are timed by arrival, hence the backlog at open needs the gate.
  const timeless = initial.timestampIndex < 0;
  const backlog = backlogEmitter({ sensor, source: 'serial', detail: { path: cfg.path }, ctx, out, clock: framer });
  const emit = (f: Frame) => backlog.emit(f, framer.lastArrivalMs, timeless);
  let timer: NodeJS.Timeout | undefined;
  const reject = (reason: string, detail: Record<string, unknown>) => ctx.badInput.reject(sensor.id, 'serial', reason, { path: cfg.path, ...detail });
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const f = framer.flush();
    if (f) emit(f);
  };
  const header = (line: string): boolean => {
    if (!csv.header) return false;
    const names = looksLikeHeader(line, csv.delimiter);
    if (!names) return false;
    // Configured columns win; otherwise the device's header says where each axis is.
    if (csv.columns) return true;
    try {
      layout = csvLayout(sensor.axes, csv, names);
    } catch (e) {
      reject('csv-header', { line: line.slice(0, 80), error: (e as Error).message });
    }
    return true;
  };
  return {
    data(chunk, arrivalMs) {
      const { lines, overlong } = splitter.push(chunk);
      for (let i = 0; i < overlong; i++) reject('csv-line-too-long', { maxBytes: CSV_MAX_LINE_BYTES });
      let emitted = false;
      for (const line of lines) {
        if (header(line)) continue;
        const parsed = parseCsvLine(line, layout);
        if (!parsed.ok) {
          reject(parsed.reason, parsed.detail);
          const f = framer.lost();
          if (f) { emit(f); emitted = true; }
          continue;
        }
        if (cfg.scale !== 1) for (let a = 0; a < parsed.values.length; a++) parsed.values[a] *= cfg.scale;
        for (const f of framer.add(parsed, arrivalMs)) { emit(f); emitted = true; }
      }
      // The latency timer belongs to the oldest pending sample: restart it when a frame went out,
      // or a fast sensor would get a needless short frame every CSV_FLUSH_MS.
      if (timer && (emitted || framer.pending === 0)) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (framer.pending > 0 && !timer) timer = setTimeout(flush, CSV_FLUSH_MS);
    },
    opened(reopened) {
      splitter.reset();
      if (reopened) framer.restart();
      if (timeless) backlog.opened();
    },
    closed() {
      flush();
      backlog.release();
    },
  };
}

function frameHandler(sensor: SensorSettings, cfg: SerialSourceSettings, ctx: SourceContext, out: Subscriber<Frame>): FormatHandler {
  const decoder = new BinaryFrameDecoder({ scale: cfg.scale, maxFrameBytes: ctx.maxPayloadBytes, expectedAxes: sensor.axes.length });
  const clock = new ArrivalClock(sensor.rateHz);
  const backlog = backlogEmitter({ sensor, source: 'serial', detail: { path: cfg.path }, ctx, out, clock });
  let breakNext = false;
  return {
    data(chunk, arrivalMs) {
      for (const ev of decoder.push(chunk)) {
        if (ev.kind === 'reject') {
          ctx.badInput.reject(sensor.id, 'serial', ev.reason, { path: cfg.path, ...ev.detail });
          continue;
        }
        const { seq, timestampMs, channels } = ev.frame;
        let t0 = timestampMs;
        let continuous = true;
        if (t0 === undefined) ({ t0, continuous } = clock.place(channels[0].length, arrivalMs));
        const frame: Frame = { sensorId: sensor.id, t0, rateHz: sensor.rateHz, unit: sensor.unit, axes: sensor.axes, channels, seq };
        if (breakNext || !continuous) frame.discontinuity = true;
        breakNext = false;
        backlog.emit(frame, arrivalMs, timestampMs === undefined);
      }
    },
    opened(reopened) {
      decoder.reset();
      clock.reset();
      if (reopened) breakNext = true;
      backlog.opened();
    },
    closed() {
      backlog.release();
    },
  };
}

interface PortEvents {
  data(chunk: Uint8Array): void;
  opened(reopened: boolean): void;
  closed(): void;
}

/**
 * Ports still closing after their subscription ended, by path. serialport locks a port exclusively, so a
 * new subscription to the same path (a restarted source) waits for the old close instead of failing the
 * lock, logging "unavailable" and backing off.
 */
const closing = new Map<string, Promise<void>>();

function trackClose(path: string, close: (done: () => void) => void): void {
  const done = new Promise<void>((resolve) => close(resolve));
  closing.set(path, done);
  void done.then(() => { if (closing.get(path) === done) closing.delete(path); });
}

/** Keeps one serial port open: open, and on any failure close, wait (backoff), reopen. */
class ReconnectingPort {
  private port: SerialPort | undefined;
  private timer: TimerHandle | undefined;
  private attempt = 0;
  private everOpened = false;
  private openedAt = 0;
  /** An outage is in progress and has been logged. */
  private failing = false;
  private stopped = false;
  /** Set while `port.open` is in flight: called by its callback once the port is let go of after a stop. */
  private releaseOpening: (() => void) | undefined;
  /** Our listeners per port object, so a dead port can be let go of without touching the stream's own. */
  private readonly listeners = new Map<SerialPort, [string, (...a: any[]) => void][]>();

  constructor(private readonly cfg: SerialSourceSettings, private readonly log: Logger, private readonly clock: Clock, private readonly on: PortEvents) {}

  start(): void {
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const port = this.port;
    this.port = undefined;
    if (port) {
      this.detach(port);
      if (port.isOpen) trackClose(this.cfg.path, (done) => port.close(() => done()));
      // Still opening: its callback closes it and then lets the next open go.
      else if (this.releaseOpening) trackClose(this.cfg.path, (done) => { this.releaseOpening = done; });
    }
  }

  private open(): void {
    this.timer = undefined;
    const pending = closing.get(this.cfg.path);
    if (pending) {
      void pending.then(() => { if (!this.stopped) this.open(); });
      return;
    }
    let port: SerialPort;
    try {
      port = new SerialPort({ path: this.cfg.path, baudRate: this.cfg.baudRate, autoOpen: false });
    } catch (e) {
      this.retry(e as Error, 'serial port unavailable; retrying');
      return;
    }
    this.port = port;
    const onData = (chunk: Buffer) => this.on.data(chunk);
    const onError = (err: Error) => {
      this.log.warn({ err: err.message }, 'serial port error; reopening');
      if (port.isOpen) port.close(() => {});
    };
    const onClose = (err?: Error | null) => {
      if (this.stopped || this.port !== port) return;
      this.detach(port);
      this.port = undefined;
      if (this.clock.now() - this.openedAt >= STABLE_OPEN_MS) this.attempt = 0;
      this.on.closed();
      this.retry(err ?? new Error('port closed'), 'serial port lost (unplugged or closed); reconnecting');
    };
    port.on('data', onData);
    port.on('error', onError);
    port.on('close', onClose);
    this.listeners.set(port, [['data', onData], ['error', onError], ['close', onClose]]);
    this.releaseOpening = () => {};
    port.open((err) => {
      const release = this.releaseOpening ?? (() => {});
      this.releaseOpening = undefined;
      if (this.stopped || this.port !== port) {
        if (!err) port.close(() => release());
        else release();
        return;
      }
      if (err) {
        this.detach(port);
        this.port = undefined;
        this.retry(err, 'serial port unavailable; retrying');
        return;
      }
      const reopened = this.everOpened;
      this.everOpened = true;
      this.openedAt = this.clock.now();
      this.failing = false;
      this.log.info({ baudRate: this.cfg.baudRate, format: this.cfg.format }, reopened ? 'serial port reopened' : 'serial port open');
      this.on.opened(reopened);
    });
  }

  private retry(err: Error, msg: string): void {
    const { initialMs, maxMs } = this.cfg.reconnect;
    const delay = Math.min(initialMs * 2 ** Math.min(this.attempt, 30), maxMs);
    this.attempt++;
    if (!this.failing) this.log.warn({ err: err.message, retryInMs: delay }, msg);
    else this.log.debug({ err: err.message, retryInMs: delay, attempt: this.attempt }, 'serial port still unavailable');
    this.failing = true;
    this.timer = this.clock.setTimeout(() => this.open(), delay);
  }

  private detach(port: SerialPort): void {
    for (const [ev, fn] of this.listeners.get(port) ?? []) port.off(ev, fn);
    this.listeners.delete(port);
    // A late error from an abandoned port must not become an uncaught 'error' event.
    port.on('error', () => {});
  }
}
