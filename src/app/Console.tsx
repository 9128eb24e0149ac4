// The guest console: an xterm.js terminal fitted to its pane. Guest bytes are written to it;
// keystrokes go back to the guest as UTF-8. xterm.js answers the shell's terminal queries (ESC[6n)
// itself, through onData.

import { useEffect, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ConsoleListener } from './useVm';

interface Props {
  /** Changes on every boot: the terminal is cleared. */
  session: number;
  subscribe(listener: ConsoleListener): () => void;
  onInput(bytes: Uint8Array): void;
}

declare global {
  interface Window {
    /** Test hook: the terminal's whole buffer (scrollback included) as text. */
    __webpvhTerminalText?: () => string;
  }
}

function bufferText(term: Terminal): string {
  const buf = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n').replace(/\n+$/, '');
}

export function Console({ session, subscribe, onInput }: Props) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const onInputRef = useRef(onInput);
  onInputRef.current = onInput;

  useEffect(() => {
    const host = hostRef.current!;
    const term = new Terminal({
      convertEol: true, // early guest output often ends lines with a bare \n
      cursorBlink: true,
      scrollback: 10_000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      lineHeight: 1.15, // at 1.0 some fonts' underscores fall outside the cell and vanish
      theme: { background: '#0b0e14', foreground: '#d7dae0', cursor: '#8ab4f8', selectionBackground: '#33415580' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    termRef.current = term;

    // Copy/paste: Ctrl+Shift+C copies the selection (and selecting copies too, like a Linux
    // terminal); Ctrl+Shift+V and the browser's paste reach xterm's paste handler.
    term.attachCustomKeyEventHandler((e) => {
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.code === 'KeyC' || e.code === 'KeyV')) {
        if (e.code === 'KeyC' && term.hasSelection()) void navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
        return false; // let the browser do the paste / keep ^C from reaching the guest
      }
      return true;
    });
    const selSub = term.onSelectionChange(() => {
      if (term.hasSelection()) void navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
    });
    const encoder = new TextEncoder();
    const dataSub = term.onData((data) => onInputRef.current(encoder.encode(data)));

    let frame = 0;
    const refit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        try {
          fit.fit();
        } catch {
          // not laid out yet
        }
      });
    };
    const observer = new ResizeObserver(refit);
    observer.observe(host);
    refit();
    term.focus();

    window.__webpvhTerminalText = () => bufferText(term);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      dataSub.dispose();
      selSub.dispose();
      delete window.__webpvhTerminalText;
      termRef.current = null;
      term.dispose();
    };
  }, []);

  useEffect(() => subscribe((bytes) => termRef.current?.write(bytes)), [subscribe]);

  useEffect(() => {
    termRef.current?.reset();
  }, [session]);

  return <div className="console" ref={hostRef} data-testid="console" />;
}
