// Page layout: title + boot controls on top, status + progress, the guest console with a side
// panel (dropped-file report, share link, boot milestones, main-thread long tasks), the vCPU panel
// below. Files can be dropped anywhere on the page or picked with "Open files…".

import { useCallback, useEffect, useRef, useState } from 'react';
import { bootRequest } from './config';
import { Console } from './Console';
import { ProgressList, StatusBar } from './StatusBar';
import { VcpuPanel } from './VcpuPanel';
import { SidePanel } from './SidePanel';
import { Controls, type Preset } from './Controls';
import { useVm } from './useVm';
import { inspectInWorker } from './inspect-client';
import type { FileReport } from './inspect';
import { demoFromLocation, encodeDemo, HELLO_DEMO, LINUX_DEMO, type DemoSpec } from './share';

function initialDemo(): { spec: DemoSpec; notes: string[]; preset: Preset } {
  const { spec, errors } = demoFromLocation(window.location.hash, window.location.search);
  if (!spec) return { spec: LINUX_DEMO, notes: errors, preset: 'linux' };
  return { spec, notes: errors, preset: spec.kernel.url === HELLO_DEMO.kernel.url && !spec.initrd ? 'hello' : 'custom' };
}

export interface ShareState {
  link: string;
  notes: string[];
  copied: boolean;
}

export function App() {
  const vm = useVm();
  const [first] = useState(initialDemo);
  const [spec, setSpec] = useState<DemoSpec>(first.spec);
  const [preset, setPreset] = useState<Preset>(first.preset);
  const [linkNotes, setLinkNotes] = useState<string[]>(first.notes);
  const [reports, setReports] = useState<FileReport[]>([]);
  const [inspecting, setInspecting] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [share, setShare] = useState<ShareState | null>(null);
  const booted = useRef<DemoSpec | null>(null);

  const boot = useCallback(
    (s: DemoSpec) => {
      booted.current = s;
      setShare(null);
      vm.boot(bootRequest(s));
    },
    [vm.boot],
  );

  // Boot the demo of the URL (or the default Linux guest) on load, and again when the fragment changes.
  useEffect(() => {
    // Start after the page's first frame, so the page's own start-up work is not counted as boot time.
    let timer = 0;
    const frame = requestAnimationFrame(() => (timer = window.setTimeout(() => boot(first.spec), 0)));
    const onHash = () => {
      const { spec: s, errors } = demoFromLocation(window.location.hash, '');
      setLinkNotes(errors);
      if (!s) return;
      setSpec(s);
      setPreset('custom');
      setReports([]);
      boot(s);
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      window.removeEventListener('hashchange', onHash);
    };
  }, [boot, first]);

  const addFiles = useCallback(async (files: File[]) => {
    if (files.length === 0) return;
    setInspecting(true);
    const found = await Promise.all(
      files.map(async (f) => {
        const bytes = new Uint8Array(await f.arrayBuffer());
        return { bytes, report: await inspectInWorker(f.name, bytes) };
      }),
    );
    setInspecting(false);
    setReports(found.map((f) => f.report));
    setSpec((s) => {
      let next = s;
      for (const { bytes, report } of found) {
        if (report.role === 'kernel') next = { ...next, kernel: { name: report.name, data: bytes } };
        else if (report.role === 'initrd') next = { ...next, initrd: { name: report.name, data: bytes } };
        else if (report.role === 'system-map') next = { ...next, systemMap: { name: report.name, text: new TextDecoder().decode(bytes) } };
      }
      if (next !== s) setPreset('custom');
      return next;
    });
  }, []);

  // Drag and drop anywhere on the page.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      void addFiles([...e.dataTransfer.files]);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [addFiles]);

  const choosePreset = (p: Preset) => {
    setPreset(p);
    setReports([]);
    if (p === 'linux') setSpec((s) => ({ ...LINUX_DEMO, vcpus: s.vcpus, memoryMiB: s.memoryMiB, script: s.script }));
    if (p === 'hello') setSpec((s) => ({ ...HELLO_DEMO, vcpus: s.vcpus, memoryMiB: s.memoryMiB }));
  };

  const copyLink = async () => {
    const b = booted.current;
    const s = spec;
    // Pin the measured hashes of what is running when the link describes the same images.
    const hashes = {
      kernel: b && vm.loaded && b.kernel === s.kernel ? vm.loaded.kernel.sha256 : undefined,
      initrd: b && vm.loaded?.initrd && b.initrd === s.initrd ? vm.loaded.initrd.sha256 : undefined,
    };
    const { fragment, notes } = encodeDemo(s, hashes);
    const link = window.location.href.split('#')[0] + fragment;
    history.replaceState(null, '', fragment);
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);
      copied = true;
    } catch {
      // no clipboard permission: the link is shown to copy by hand
    }
    setShare({ link, notes, copied });
  };

  const canBoot = !inspecting;
  return (
    <div className={`app${dragging ? ' dragging' : ''}`}>
      <header className="topbar">
        <h1>
          webpvh <span className="tagline">x86-64 Linux via Xen PVH, in your browser</span>
        </h1>
        <Controls
          spec={spec}
          preset={preset}
          onPreset={choosePreset}
          onChange={(s) => setSpec(s)}
          onBoot={() => canBoot && boot(spec)}
          onFiles={(fs) => void addFiles(fs)}
          onCopyLink={() => void copyLink()}
        />
      </header>
      <StatusBar status={vm.status} stalledSeconds={vm.stalledSeconds} kernel={booted.current?.kernel.name ?? ''} onBoot={() => booted.current && boot(booted.current)} />
      <main className="middle">
        <div className="console-pane">
          <ProgressList status={vm.status} progress={vm.progress} />
          <Console session={vm.session} subscribe={vm.subscribeConsole} onInput={vm.sendInput} />
        </div>
        <SidePanel
          reports={reports}
          inspecting={inspecting}
          linkNotes={linkNotes}
          share={share}
          milestones={vm.milestones}
          longTasks={vm.longTasks}
          loaded={vm.loaded}
          script={vm.script}
          spec={spec}
          onClearInitrd={() => setSpec((s) => ({ ...s, initrd: undefined }))}
        />
      </main>
      <VcpuPanel data={vm.vcpus} />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop a kernel (vmlinux / bzImage), an initrd or a System.map</div>
        </div>
      )}
    </div>
  );
}
