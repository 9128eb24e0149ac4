// The status line: what the VM is doing (with download/decompression progress bars while loading),
// why it stopped, and the "Boot again" / "Restart" button.

import type { ShutdownReason } from '../vm/api';
import type { ProgressItem, ProgressMessage } from './messages';
import type { VmStatus } from './useVm';
import { size } from './inspect';

const SHUTDOWN_TEXT: Record<ShutdownReason, string> = {
  poweroff: 'guest powered off',
  reboot: 'guest asked to reboot',
  crash: 'guest crashed',
  'triple-fault': 'guest triple-faulted',
  watchdog: 'guest stopped by the watchdog',
  suspend: 'guest suspended',
};

export function statusText(status: VmStatus, kernel: string): string {
  switch (status.kind) {
    case 'idle':
      return 'Ready';
    case 'loading':
      return `Loading ${kernel}${status.detail ? ` — ${status.detail}` : ''}…`;
    case 'running':
      return `Running ${kernel}${status.warnings?.length ? ` (${status.warnings.join('; ')})` : ''}`;
    case 'shutdown':
      return `${SHUTDOWN_TEXT[status.reason] ?? `guest stopped (${status.reason})`}${status.detail ? ` — ${status.detail}` : ''}`;
    case 'error':
      return status.message;
  }
}

const ORDER: ProgressItem[] = ['core', 'kernel', 'initrd', 'decompress'];

function Bar({ p }: { p: ProgressMessage }) {
  const frac = p.total ? Math.min(1, p.done / p.total) : undefined;
  const amount = p.item === 'decompress' ? (frac !== undefined ? `${Math.round(frac * 100)}%` : '') : `${size(p.done)}${p.total ? ` / ${size(p.total)}` : ''}`;
  return (
    <div className={`progress${p.finished ? ' done' : ''}`} data-testid={`progress-${p.item}`} data-done={p.finished ? 'yes' : 'no'}>
      <span className="progress-label">{p.label}</span>
      <progress max={1} value={p.finished ? 1 : frac} />
      <span className="progress-amount mono">{amount}</span>
    </div>
  );
}

/** Download and decompression progress, floating over the console (no layout change, so the
 *  terminal is not refitted when it appears or goes). */
export function ProgressList({ status, progress }: { status: VmStatus; progress: Partial<Record<ProgressItem, ProgressMessage>> }) {
  const bars = ORDER.map((k) => progress[k]).filter((p): p is ProgressMessage => !!p);
  if (status.kind !== 'loading' || bars.length === 0) return null;
  return (
    <div className="progress-list" data-testid="progress">
      {bars.map((p) => (
        <Bar key={p.item} p={p} />
      ))}
    </div>
  );
}

interface Props {
  status: VmStatus;
  stalledSeconds: number;
  kernel: string;
  onBoot(): void;
}

export function StatusBar({ status, stalledSeconds, kernel, onBoot }: Props) {
  const stopped = status.kind === 'shutdown' || status.kind === 'error';
  return (
    <div className="statusbar">
      <div
        className={`status status-${status.kind}${stalledSeconds ? ' status-stalled' : ''}`}
        data-testid="status"
        data-status={status.kind}
        data-stalled={stalledSeconds || undefined}
      >
        <span className="dot" aria-hidden="true" />
        <span className="status-text" role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.kind === 'error' && <b>Error: </b>}
          {statusText(status, kernel)}
          {stalledSeconds > 0 && <span className="stalled"> — no response from the VM for {stalledSeconds} s (stuck inside one run slice?)</span>}
        </span>
        <button type="button" onClick={onBoot} className={stopped ? 'primary' : ''} disabled={status.kind === 'idle'}>
          {stopped ? 'Boot again' : 'Restart'}
        </button>
      </div>
    </div>
  );
}
