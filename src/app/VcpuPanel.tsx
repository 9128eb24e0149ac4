// One row per vCPU: run state, mode and CPL, RIP (and its kernel function when symbols are known),
// RSP/CR3, IF, instructions and MIPS, and the events, IPIs and hypercalls the Machine counts.

import type { VcpusMessage, VcpuSnapshot } from './messages';

const hex64 = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');
const count = (v: bigint) => v.toLocaleString('en-US');
const mips = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

function modeLabel(v: VcpuSnapshot): string {
  const mode = { real: 'real', protected: 'prot', long: 'long', compat: 'compat' }[v.mode] ?? v.mode;
  return `${mode} · CPL${v.cpl}`;
}

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function VcpuPanel({ data }: { data: VcpusMessage | null }) {
  return (
    <section className="vcpus" data-testid="vcpu-panel">
      <header className="panel-head">
        <h2>vCPUs</h2>
        {data && (
          <div className="totals">
            <span>
              <b data-testid="total-mips">{mips(data.mips)}</b> MIPS
            </span>
            <span>
              <b>{count(data.totalInstructions)}</b> instructions
            </span>
            <span>
              up <b>{uptime(data.uptimeMs)}</b>
            </span>
            <span data-testid="jit-share" title="instructions that ran JIT-compiled, and blocks compiled">
              {data.jit ? (
                <>
                  JIT <b>{(100 * data.jit.compiledShare).toFixed(0)}%</b> · {data.jit.blocks.toLocaleString('en-US')} blocks
                </>
              ) : (
                'interpreter only'
              )}
            </span>
          </div>
        )}
      </header>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>state</th>
            <th>mode</th>
            <th>RIP</th>
            <th>function</th>
            <th>RSP</th>
            <th>CR3</th>
            <th>IF</th>
            <th className="num">instructions</th>
            <th className="num">MIPS</th>
            <th className="num" title="event-channel upcalls received">events</th>
            <th className="num" title="inter-processor interrupts received">IPIs</th>
            <th className="num">hypercalls</th>
          </tr>
        </thead>
        <tbody>
          {data?.vcpus.map((v) => (
            <tr key={v.id} data-testid="vcpu-row" data-state={v.state} data-instructions={v.instructions.toString()}>
              <td>{v.id}</td>
              <td>
                <span className={`state state-${v.state}`}>{v.state}</span>
              </td>
              <td>{modeLabel(v)}</td>
              <td className="mono" data-testid="vcpu-rip" data-rip={v.rip.toString(16)}>
                {hex64(v.rip)}
              </td>
              <td className="mono sym" data-testid="vcpu-symbol" title={v.symbol}>
                {v.symbol ?? (v.cpl === 3 ? '(user)' : '')}
              </td>
              <td className="mono">{hex64(v.rsp)}</td>
              <td className="mono">{hex64(v.cr3)}</td>
              <td>{v.interruptsEnabled ? '1' : '0'}</td>
              <td className="num mono" data-testid="vcpu-instructions">
                {count(v.instructions)}
              </td>
              <td className="num mono">{mips(v.mips)}</td>
              <td className="num mono">{v.events ?? '–'}</td>
              <td className="num mono">{v.ipis ?? '–'}</td>
              <td className="num mono" data-testid="vcpu-hypercalls">{v.hypercalls ?? '–'}</td>
            </tr>
          )) ?? (
            <tr>
              <td colSpan={13} className="empty">
                no vCPUs yet
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
