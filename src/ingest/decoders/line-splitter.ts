// Splits a serial byte stream into text lines, bounded so a device that never sends a newline cannot
// grow memory (STYLE rule 5). "\n", "\r\n" and a lone "\r" all end a line; empty lines are ignored.

export interface SplitResult {
  lines: string[];
  /** Lines dropped because they exceeded maxLineBytes (each counted once). */
  overlong: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private skipFirst: boolean;
  private readonly decoder = new TextDecoder('utf-8');

  /**
   * @param skipFirstLine drop everything before the first line end: right after a port opens the
   *   device is usually mid-line, and a cut line such as "23,0.5,0.7" can look valid but be wrong.
   */
  constructor(private readonly maxLineBytes: number, private readonly skipFirstLine = false) {
    this.skipFirst = skipFirstLine;
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.skipFirst = this.skipFirstLine;
  }

  push(chunk: Uint8Array): SplitResult {
    const out: SplitResult = { lines: [], overlong: 0 };
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      this.append(chunk.subarray(start, i), out);
      this.endLine(out);
      start = i + 1;
    }
    this.append(chunk.subarray(start), out);
    return out;
  }

  private append(part: Uint8Array, out: SplitResult): void {
    if (part.length === 0 || this.discarding) return;
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      out.overlong++;
      this.discarding = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy (Buffer#slice would only make a view): the caller may reuse its chunk buffer.
    this.pending.push(new Uint8Array(part));
    this.pendingBytes += part.length;
  }

  private endLine(out: SplitResult): void {
    const had = this.pendingBytes > 0 || this.discarding;
    if (had && !this.discarding && !this.skipFirst) {
      const bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      out.lines.push(this.decoder.decode(bytes));
    }
    // Any line end, even of an empty line, means the next byte starts a whole line.
    this.skipFirst = false;
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }
}
