// Page layout: title + status line on top, the guest console, the vCPU panel below.

import { useMemo } from 'react';
import { bootRequestFromLocation, kernelName } from './config';
import { Console } from './Console';
import { StatusBar } from './StatusBar';
import { VcpuPanel } from './VcpuPanel';
import { useVm } from './useVm';

export function App() {
  const request = useMemo(() => bootRequestFromLocation(), []);
  const vm = useVm(request);
  return (
    <div className="app">
      <header className="topbar">
        <h1>
          webpvh <span className="tagline">x86-64 Linux via Xen PVH, in your browser</span>
        </h1>
        <StatusBar status={vm.status} stalledSeconds={vm.stalledSeconds} kernel={kernelName(request)} cmdline={request.cmdline} onBoot={vm.boot} />
      </header>
      <main className="console-pane">
        <Console session={vm.session} subscribe={vm.subscribeConsole} onInput={vm.sendInput} />
      </main>
      <VcpuPanel data={vm.vcpus} />
    </div>
  );
}
