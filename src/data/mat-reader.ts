// MATLAB Level 5 MAT-file reader, enough for the files the CWRU Bearing Data Center ships (and what
// MATLAB/scipy write with -v6/-v7): real 2-D numeric arrays, optionally zlib-compressed.
// Format: MathWorks, "MAT-File Format" (matfile_format.pdf), chapter 1 "Level 5 MAT-File Format".
// Anything else (structs, cells, char, sparse, complex, N-D) is skipped and listed, never fatal,
// because CWRU-style files often carry a char/struct variable next to the signals.
import { inflateSync } from 'node:zlib';
import { DrsndError, ErrorCodes } from '../errors.js';

export interface MatArray {
  rows: number;
  cols: number;
  /** Column-major, as MATLAB stores it; a column vector is simply the signal. */
  data: Float64Array;
}

export interface MatSkipped {
  name: string;
  reason: string;
}

export interface MatContents {
  variables: Map<string, MatArray>;
  skipped: MatSkipped[];
}

const HEADER_BYTES = 128;

// Data types (matfile_format.pdf table 1-1).
const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

// Array classes (table 1-3).
const MX_NAMES: Record<number, string> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single',
  8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
  16: 'function', 17: 'opaque',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
const COMPLEX_FLAG = 0x0800;

const ELEMENT_SIZE: Record<number, number> = {
  [MI.INT8]: 1, [MI.UINT8]: 1, [MI.INT16]: 2, [MI.UINT16]: 2, [MI.INT32]: 4, [MI.UINT32]: 4,
  [MI.SINGLE]: 4, [MI.DOUBLE]: 8, [MI.INT64]: 8, [MI.UINT64]: 8, [MI.UTF8]: 1, [MI.UTF16]: 2, [MI.UTF32]: 4,
};

function invalid(file: string, problem: string, cause?: unknown): DrsndError {
  return new DrsndError(ErrorCodes.DATA_FILE_INVALID, `${file}: ${problem}`, cause === undefined ? {} : { cause });
}

interface Element {
  type: number;
  /** Payload, without tag or padding. */
  body: Buffer;
  /** Offset of the next element. */
  next: number;
}

/** Reads one data element tag + payload at `pos`, handling the small-element format (table 1-2 note). */
function readElement(buf: Buffer, pos: number, le: boolean, file: string, where: string): Element {
  if (pos + 8 > buf.length) throw invalid(file, `truncated data element tag at byte ${pos} (${where}); the file is cut short`);
  const first = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
  const small = first >>> 16;
  if (small !== 0) {
    // Small data element: type and length share the first 4 bytes, payload in the next 4.
    const type = first & 0xffff;
    if (small > 4) throw invalid(file, `corrupt small data element at byte ${pos} (${where}): length ${small} > 4`);
    return { type, body: buf.subarray(pos + 4, pos + 4 + small), next: pos + 8 };
  }
  const type = first;
  const nbytes = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
  const start = pos + 8;
  if (start + nbytes > buf.length) {
    throw invalid(file, `truncated data element at byte ${pos} (${where}): needs ${nbytes} bytes, ${buf.length - start} left; the file is cut short`);
  }
  // miCOMPRESSED is not padded (the compressed stream has its own length); everything else is
  // padded to an 8-byte boundary.
  const padded = type === MI.COMPRESSED ? nbytes : Math.ceil(nbytes / 8) * 8;
  return { type, body: buf.subarray(start, start + nbytes), next: Math.min(start + padded, buf.length) };
}

/** Decodes a numeric data element (whatever storage type MATLAB chose) into doubles. */
function numericValues(el: Element, le: boolean, file: string, name: string): Float64Array {
  const size = ELEMENT_SIZE[el.type];
  if (size === undefined || el.type === MI.UTF8 || el.type === MI.UTF16 || el.type === MI.UTF32) {
    throw invalid(file, `variable "${name}": unexpected data type ${el.type} for numeric values`);
  }
  const n = Math.floor(el.body.length / size);
  const out = new Float64Array(n);
  const b = el.body;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (el.type) {
      case MI.DOUBLE: out[i] = view.getFloat64(o, le); break;
      case MI.SINGLE: out[i] = view.getFloat32(o, le); break;
      case MI.INT8: out[i] = view.getInt8(o); break;
      case MI.UINT8: out[i] = view.getUint8(o); break;
      case MI.INT16: out[i] = view.getInt16(o, le); break;
      case MI.UINT16: out[i] = view.getUint16(o, le); break;
      case MI.INT32: out[i] = view.getInt32(o, le); break;
      case MI.UINT32: out[i] = view.getUint32(o, le); break;
      case MI.INT64: out[i] = Number(view.getBigInt64(o, le)); break;
      case MI.UINT64: out[i] = Number(view.getBigUint64(o, le)); break;
    }
  }
  return out;
}

type MatrixResult = { name: string; array?: MatArray; skipped?: string };

/** Parses the body of an miMATRIX element (array flags, dimensions, name, real part). */
function readMatrix(body: Buffer, le: boolean, file: string, index: number): MatrixResult | null {
  if (body.length === 0) return null; // an empty miMATRIX is legal and carries nothing
  const where = `variable #${index + 1}`;
  const flags = readElement(body, 0, le, file, `${where} array flags`);
  if (flags.type !== MI.UINT32 || flags.body.length < 8) throw invalid(file, `${where}: malformed array flags`);
  const flagWord = le ? flags.body.readUInt32LE(0) : flags.body.readUInt32BE(0);
  const mxClass = flagWord & 0xff;
  const className = MX_NAMES[mxClass] ?? `class ${mxClass}`;

  const dimsEl = readElement(body, flags.next, le, file, `${where} dimensions`);
  const dims: number[] = [];
  for (let o = 0; o + 4 <= dimsEl.body.length; o += 4) dims.push(le ? dimsEl.body.readInt32LE(o) : dimsEl.body.readInt32BE(o));
  const nameEl = readElement(body, dimsEl.next, le, file, `${where} name`);
  const name = nameEl.body.toString('latin1');

  if (!NUMERIC_CLASSES.has(mxClass)) return { name, skipped: `unsupported class ${className}` };
  if (flagWord & COMPLEX_FLAG) return { name, skipped: `complex ${className} not supported` };
  if (dims.length !== 2) return { name, skipped: `${dims.length}-D ${className} array not supported (2-D only)` };

  const [rows, cols] = dims as [number, number];
  const realEl = readElement(body, nameEl.next, le, file, `${where} "${name}" real part`);
  const data = numericValues(realEl, le, file, name);
  if (data.length !== rows * cols) {
    throw invalid(file, `variable "${name}": ${rows}x${cols} array holds ${data.length} values (expected ${rows * cols}); the file is corrupt or cut short`);
  }
  return { name, array: { rows, cols, data } };
}

/** Parses a whole MAT v5 file, listing what it skipped. */
export function readMatContents(buf: Buffer, file: string): MatContents {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw invalid(file, 'this is an HDF5 (MATLAB v7.3) file, which drsnd does not read; save it with -v7 (save(f, vars..., "-v7")) or convert it to .f32/.csv');
  }
  if (buf.length < HEADER_BYTES) throw invalid(file, `not a MAT file: ${buf.length} bytes is shorter than the 128-byte MAT v5 header`);
  const text = buf.subarray(0, 116).toString('latin1');
  const version = buf.readUInt16LE(124);
  const endian = buf.subarray(126, 128).toString('latin1');
  if (text.startsWith('MATLAB 7.3') || (endian === 'IM' && version === 0x0200) || (endian === 'MI' && buf.readUInt16BE(124) === 0x0200)) {
    throw invalid(file, 'this is a MATLAB v7.3 (HDF5) MAT file, which drsnd does not read; save it with -v7 (save(f, vars..., "-v7")) or convert it to .f32/.csv');
  }
  if (!text.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI')) {
    throw invalid(file, 'not a MAT file (no "MATLAB 5.0 MAT-file" header with an IM/MI endian mark); MAT v4 files are not supported either');
  }
  // The writer stores the characters 'M','I' as one 16-bit word; a little-endian writer's bytes read 'IM'.
  const le = endian === 'IM';

  const variables = new Map<string, MatArray>();
  const skipped: MatSkipped[] = [];
  let pos = HEADER_BYTES;
  let index = 0;
  while (pos < buf.length) {
    // Zero bytes shorter than a tag are padding some writers leave; anything else is a cut-off tag.
    if (buf.length - pos < 8 && buf.subarray(pos).every((b) => b === 0)) break;
    const el = readElement(buf, pos, le, file, `top-level element #${index + 1}`);
    pos = el.next;
    let matrix: Element = el;
    if (el.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(el.body);
      } catch (e) {
        throw invalid(file, `compressed variable #${index + 1} does not inflate (${(e as Error).message}); the file is corrupt or cut short`, e);
      }
      matrix = readElement(inflated, 0, le, file, `compressed variable #${index + 1}`);
    }
    if (matrix.type !== MI.MATRIX) {
      skipped.push({ name: `#${index + 1}`, reason: `top-level element of data type ${matrix.type}, not a matrix` });
    } else {
      const r = readMatrix(matrix.body, le, file, index);
      if (r?.array) variables.set(r.name, r.array);
      else if (r?.skipped) skipped.push({ name: r.name, reason: r.skipped });
    }
    index++;
  }
  return { variables, skipped };
}

/** Real 2-D numeric variables of a MAT v5 file by name; other variables are skipped (see readMatContents). */
export function readMat(buf: Buffer, file: string): Map<string, MatArray> {
  return readMatContents(buf, file).variables;
}
