// The status line: what the VM is doing, why it stopped, and the "Boot again" button.

import type { ShutdownReason } from '../vm/api';
import type { VmStatus } from './useVm';

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

interface Props {
  status: VmStatus;
  stalledSeconds: number;
  kernel: string;
  cmdline: string;
  onBoot(): void;
}

export function StatusBar({ status, stalledSeconds, kernel, cmdline, onBoot }: Props) {
  const stopped = status.kind === 'shutdown' || status.kind === 'error';
  return (
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
        {stalledSeconds > 0 && (
          <span className="stalled"> — no response from the VM for {stalledSeconds} s (stuck inside one run slice?)</span>
        )}
      </span>
      <code className="cmdline" title="kernel command line">
        {cmdline}
      </code>
      <button type="button" onClick={onBoot} className={stopped ? 'primary' : ''}>
        {stopped ? 'Boot again' : 'Restart'}
      </button>
    </div>
  );
}
