// Right of the console: what the dropped files are (or why they cannot boot), the share link,
// boot milestones with their times, and the page's longest main-thread task during the boot.

import type { FileReport } from './inspect';
import { size } from './inspect';
import type { LoadedMessage } from './messages';
import { MILESTONES, type Milestone } from './milestones';
import type { DemoSpec } from './share';
import type { LongTasks } from './useVm';
import type { ShareState } from './App';

interface Props {
  reports: FileReport[];
  inspecting: boolean;
  linkNotes: string[];
  share: ShareState | null;
  milestones: Milestone[];
  longTasks: LongTasks;
  loaded: LoadedMessage | null;
  script: { sent: number; total: number; done: boolean } | null;
  spec: DemoSpec;
  onClearInitrd(): void;
}

const ms = (v: number) => (v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`);
const minsn = (v: bigint) => `${(Number(v) / 1e6).toFixed(1)} M insns`;

export function SidePanel({ reports, inspecting, linkNotes, share, milestones, longTasks, loaded, script, spec, onClearInitrd }: Props) {
  const byId = new Map(milestones.map((m) => [m.id, m]));
  return (
    <aside className="side">
      {(inspecting || reports.length > 0) && (
        <section className="card" data-testid="report">
          <h2>Dropped files</h2>
          {inspecting && <p className="muted">inspecting…</p>}
          {reports.map((r, i) => (
            <div key={i} className={`report report-${r.role}`} data-role={r.role}>
              <div className="report-head">
                <b>{r.name}</b> <span className="muted">{size(r.size)}</span>
              </div>
              <div>
                {r.role === 'kernel' ? 'kernel: ' : r.role === 'initrd' ? 'initrd: ' : r.role === 'system-map' ? 'symbols: ' : ''}
                {r.format}
              </div>
              {r.facts.length > 0 && (
                <dl>
                  {r.facts.map(([k, v]) => (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd data-fact={k}>{v}</dd>
                    </div>
                  ))}
                </dl>
              )}
              {r.error && (
                <p className="bad" role="alert" data-testid="report-error">
                  Cannot boot {r.name}: {r.error}
                </p>
              )}
            </div>
          ))}
          {reports.some((r) => r.role !== 'invalid') && (
            <p className="muted">
              Press <b>Boot</b> to boot {spec.kernel.name}
              {spec.initrd ? (
                <>
                  {' '}
                  with {spec.initrd.name}{' '}
                  <button type="button" className="link" onClick={onClearInitrd}>
                    (no initrd)
                  </button>
                </>
              ) : null}
              .
            </p>
          )}
        </section>
      )}
      {(linkNotes.length > 0 || share) && (
        <section className="card" data-testid="share">
          <h2>Link</h2>
          {linkNotes.map((n, i) => (
            <p key={i} className="warn">
              {n}
            </p>
          ))}
          {share && (
            <>
              <input className="share-link" data-testid="share-link" readOnly value={share.link} onFocus={(e) => e.target.select()} />
              <p className="muted">{share.copied ? 'Copied to the clipboard.' : 'Copy it from the box above.'}</p>
              {share.notes.map((n, i) => (
                <p key={i} className="warn" data-testid="share-note">
                  Note: {n}.
                </p>
              ))}
            </>
          )}
        </section>
      )}
      <section className="card" data-testid="milestones">
        <h2>Boot milestones</h2>
        <table className="milestones">
          <tbody>
            {MILESTONES.map(({ id, label }) => {
              const m = byId.get(id);
              return (
                <tr key={id} data-milestone={id} data-reached={m ? 'yes' : 'no'}>
                  <td>
                    <span className={`tick${m ? ' on' : ''}`}>{m ? '●' : '○'}</span> {label}
                  </td>
                  <td className="num mono">{m ? ms(m.ms) : '—'}</td>
                  <td className="num mono muted">{m && m.instructions > 0n ? minsn(m.instructions) : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {script && (
          <p className="muted" data-testid="script-status">
            input script: {script.sent}/{script.total} lines typed{script.done ? ', done' : ''}
          </p>
        )}
        <p className="muted" data-testid="longtasks" data-max-ms={longTasks.maxMs.toFixed(0)} data-measuring={longTasks.measuring ? 'yes' : 'no'}>
          {longTasks.supported
            ? `page main thread during the boot: ${
                longTasks.count === 0 ? 'no task over 50 ms' : `longest task ${longTasks.maxMs.toFixed(0)} ms (${longTasks.count} over 50 ms)`
              }${longTasks.measuring ? ', measuring…' : ''}`
            : 'page main thread: this browser does not report long tasks'}
        </p>
        {loaded && (
          <p className="muted small" data-testid="loaded">
            kernel {size(loaded.kernel.size)}
            {loaded.kernel.elfSize !== loaded.kernel.size ? ` (ELF ${size(loaded.kernel.elfSize)})` : ''}
            {loaded.initrd ? `, initrd ${size(loaded.initrd.size)}` : ''}; RIPs{' '}
            {loaded.symbols ? `symbolised from ${loaded.symbols.source} (${loaded.symbols.count.toLocaleString('en-US')} symbols)` : 'raw: the kernel is stripped (drop its System.map to symbolise)'}
          </p>
        )}
      </section>
    </aside>
  );
}
