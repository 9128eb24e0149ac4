// The CLI's script driver: prompt detection through terminal escapes, line typing order, the
// cursor-position answer, and completion only after the last line's output is followed by a prompt.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROMPT, ScriptDriver, scriptLines } from '../../src/cli/script-driver.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('ScriptDriver', () => {
  it('types each line at a prompt and finishes at the prompt after the last one', () => {
    const d = new ScriptDriver(['uname -a', 'poweroff -f'], { answerCursorQueries: false });
    expect(d.feed(enc('Booting...\nWelcome\n'))).toEqual({ send: [], done: false });
    expect(d.feed(enc('~ # '))).toEqual({ send: ['uname -a\n'], done: false });
    // The echo and output of the command: no prompt yet.
    expect(d.feed(enc('uname -a\r\nLinux (none) 6.12\r\n'))).toEqual({ send: [], done: false });
    expect(d.feed(enc('~ # '))).toEqual({ send: ['poweroff -f\n'], done: false });
    expect(d.feed(enc('poweroff -f\r\n'))).toEqual({ send: [], done: false });
    expect(d.feed(enc('/ # '))).toEqual({ send: [], done: true });
    expect(d.sent).toBe(2);
  });

  it('sees a prompt wrapped in colour escapes, followed by the ESC[6n query, and answers the query', () => {
    const d = new ScriptDriver(['ls'], { answerCursorQueries: true });
    const r = d.feed(enc('\x1b[1;32mroot@vm\x1b[0m:\x1b]0;title\x07~# \x1b[6n'));
    expect(d.currentLine).toBe('');
    expect(r.send).toEqual(['\x1b[1;12R', 'ls\n']);
  });

  it('handles escape sequences split across chunks', () => {
    const d = new ScriptDriver(['x'], { answerCursorQueries: true });
    expect(d.feed(enc('$ \x1b[')).send).toEqual(['x\n']);
    expect(d.feed(enc('6')).send).toEqual([]);
    expect(d.feed(enc('n')).send).toEqual(['\x1b[1;1R']);
  });

  it('does not answer ESC[6n when a real terminal does', () => {
    const d = new ScriptDriver([], { answerCursorQueries: false });
    expect(d.feed(enc('abc\x1b[6n')).send).toEqual([]);
  });

  it('reports the row (up to 24) and column of the cursor', () => {
    const d = new ScriptDriver([], { answerCursorQueries: true, prompt: /(?!)/ });
    expect(d.feed(enc('a\nb\nxyz\x1b[6n')).send).toEqual(['\x1b[3;4R']);
    d.feed(enc('\n'.repeat(40)));
    expect(d.feed(enc('\x1b[6n')).send).toEqual(['\x1b[24;1R']);
  });

  it('is not fooled by "# " in the middle of a line, and honours CR and backspace', () => {
    const d = new ScriptDriver(['x'], { answerCursorQueries: false });
    expect(d.feed(enc('# comment then text')).send).toEqual([]);
    expect(d.feed(enc('\r# ')).send).toEqual(['x\n']);
    const e = new ScriptDriver(['y'], { answerCursorQueries: false });
    expect(e.feed(enc('$ x\b')).send).toEqual(['y\n']);
  });

  it('supports a custom prompt', () => {
    const d = new ScriptDriver(['go'], { answerCursorQueries: false, prompt: /login: $/ });
    expect(d.feed(enc('~ # ')).send).toEqual([]);
    expect(d.feed(enc('\nvm login: ')).send).toEqual(['go\n']);
  });

  it('default prompt and script splitting', () => {
    expect(DEFAULT_PROMPT.test('/ # ')).toBe(true);
    expect(DEFAULT_PROMPT.test('user@h:~$ ')).toBe(true);
    expect(DEFAULT_PROMPT.test('50% done')).toBe(false);
    expect(scriptLines('a\r\nb\n\nc\n')).toEqual(['a', 'b', '', 'c']);
  });
});
