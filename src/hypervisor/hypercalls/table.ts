// THE hypercall table: every hypercall we answer, its Xen number and name, and the allow-list of its
// sub-operations (all three take the sub-op as arg1). Anything not listed is refused with -ENOSYS and
// counted. validateTable() checks the table's own consistency (unique numbers, names and sub-ops).

import { consoleRead, consoleWrite } from './console-io.ts';
import type { HypercallHandler } from './context.ts';
import { schedShutdown, schedYield } from './sched-op.ts';
import { versionExtraversion, versionGetFeatures, versionVersion } from './xen-version.ts';
import {
  __HYPERVISOR_console_io,
  __HYPERVISOR_sched_op,
  __HYPERVISOR_xen_version,
  CONSOLEIO_read,
  CONSOLEIO_write,
  SCHEDOP_shutdown,
  SCHEDOP_yield,
  XENVER_extraversion,
  XENVER_get_features,
  XENVER_version,
} from './xen-abi.ts';

export interface SubOp {
  cmd: number;
  name: string;
  handler: HypercallHandler;
}

export interface HypercallDef {
  nr: number;
  name: string;
  /** Number of argument registers the hypercall uses. */
  args: number;
  /** Allowed sub-operations, selected by arg1. */
  subops: readonly SubOp[];
}

export const HYPERCALLS: readonly HypercallDef[] = [
  {
    nr: __HYPERVISOR_xen_version,
    name: 'xen_version',
    args: 2,
    subops: [
      { cmd: XENVER_version, name: 'XENVER_version', handler: versionVersion },
      { cmd: XENVER_extraversion, name: 'XENVER_extraversion', handler: versionExtraversion },
      { cmd: XENVER_get_features, name: 'XENVER_get_features', handler: versionGetFeatures },
    ],
  },
  {
    nr: __HYPERVISOR_console_io,
    name: 'console_io',
    args: 3,
    subops: [
      { cmd: CONSOLEIO_write, name: 'CONSOLEIO_write', handler: consoleWrite },
      { cmd: CONSOLEIO_read, name: 'CONSOLEIO_read', handler: consoleRead },
    ],
  },
  {
    nr: __HYPERVISOR_sched_op,
    name: 'sched_op',
    args: 2,
    subops: [
      { cmd: SCHEDOP_yield, name: 'SCHEDOP_yield', handler: schedYield },
      { cmd: SCHEDOP_shutdown, name: 'SCHEDOP_shutdown', handler: schedShutdown },
    ],
  },
];

/** Throws if the table has duplicate numbers, names or sub-op commands. */
export function validateTable(table: readonly HypercallDef[]): void {
  const nrs = new Set<number>();
  const names = new Set<string>();
  for (const d of table) {
    if (nrs.has(d.nr)) throw new Error(`hypercall table: number ${d.nr} listed twice`);
    if (names.has(d.name)) throw new Error(`hypercall table: name ${d.name} listed twice`);
    if (d.args < 1 || d.args > 5) throw new Error(`hypercall table: ${d.name} has ${d.args} arguments (1..5)`);
    nrs.add(d.nr);
    names.add(d.name);
    const cmds = new Set<number>();
    for (const s of d.subops) {
      if (cmds.has(s.cmd)) throw new Error(`hypercall table: ${d.name} sub-op ${s.cmd} listed twice`);
      cmds.add(s.cmd);
    }
  }
}
