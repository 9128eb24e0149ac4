// Drives a guest shell from a script: watches console output for a prompt, types the next line,
// and reports when the last line's output has been followed by a prompt. Also answers the terminal
// "where is the cursor?" query (ESC [ 6 n, which busybox's line editor sends after its prompt) when
// there is no real terminal to answer it.
//
// Pure and synchronous (no I/O), so it is unit-tested on its own. Output is interpreted like a
// terminal would for the current line: CSI / OSC / two-byte escape sequences are removed, CR returns
// to the line start, BS deletes one character, LF starts a new line.

/** A line that ends in "# " or "$ " (root or user shell prompt). */
export const DEFAULT_PROMPT = /[#$] $/;
/** Rows of the terminal we pretend to be when answering cursor-position queries. */
const TERMINAL_ROWS = 24;

const ESC = 0x1b;
const BEL = 0x07;

type EscState = 'text' | 'esc' | 'csi' | 'osc' | 'osc-esc';

export interface ScriptDriverOptions {
  prompt?: RegExp;
  /** Answer ESC[6n with ESC[row;colR (when stdout is not a terminal that answers itself). */
  answerCursorQueries: boolean;
}

export interface FeedResult {
  /** Text to send to the guest, in order (cursor reports and script lines). */
  send: string[];
  /** The script has finished: its last line ran and a prompt followed. */
  done: boolean;
}

export class ScriptDriver {
  private readonly prompt: RegExp;
  private readonly answer: boolean;
  private readonly decoder = new TextDecoder('utf-8');
  private state: EscState = 'text';
  private csi = '';
  private line = '';
  private row = 1;
  private next = 0;
  private finished = false;

  constructor(
    private readonly lines: readonly string[],
    opts: ScriptDriverOptions,
  ) {
    this.prompt = opts.prompt ?? DEFAULT_PROMPT;
    this.answer = opts.answerCursorQueries;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Lines typed so far. */
  get sent(): number {
    return this.next;
  }

  /** The visible text of the current output line (escapes removed). */
  get currentLine(): string {
    return this.line;
  }

  feed(chunk: Uint8Array | string): FeedResult {
    const send: string[] = [];
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    for (const ch of text) this.consume(ch, send);
    if (!this.finished && this.prompt.test(this.line)) {
      if (this.next < this.lines.length) {
        send.push(this.lines[this.next++] + '\n');
        this.line = ''; // this prompt is used up; wait for the next one
      } else {
        this.finished = true;
      }
    }
    return { send, done: this.finished };
  }

  private consume(ch: string, send: string[]): void {
    const c = ch.codePointAt(0)!;
    switch (this.state) {
      case 'text':
        if (c === ESC) this.state = 'esc';
        else if (c === 0x0a) {
          this.line = '';
          this.row = Math.min(TERMINAL_ROWS, this.row + 1);
        } else if (c === 0x0d) this.line = '';
        else if (c === 0x08) this.line = this.line.slice(0, -1);
        else if (c >= 0x20 && c !== 0x7f) this.line += ch;
        return;
      case 'esc':
        if (ch === '[') {
          this.state = 'csi';
          this.csi = '';
        } else if (ch === ']') this.state = 'osc';
        else this.state = 'text'; // two-byte sequence (ESC 7, ESC M, …): dropped
        return;
      case 'csi':
        if (c >= 0x40 && c <= 0x7e) {
          this.state = 'text';
          if (ch === 'n' && this.csi === '6' && this.answer) {
            send.push(`\x1b[${this.row};${[...this.line].length + 1}R`);
          }
        } else {
          this.csi += ch;
        }
        return;
      case 'osc':
        if (c === BEL) this.state = 'text';
        else if (c === ESC) this.state = 'osc-esc';
        return;
      case 'osc-esc':
        this.state = ch === '\\' ? 'text' : 'osc';
        return;
    }
  }
}

/** Splits a script file into the lines to type (a trailing newline does not add an empty line). */
export function scriptLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
