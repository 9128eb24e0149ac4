// The boot controls: guest, vCPUs, memory, command line, input script; Boot, Open files…, Copy link.

import { useRef, useState } from 'react';
import { MAX_VCPUS_UI, type DemoSpec } from './share';

export type Preset = 'linux' | 'hello' | 'custom';

const MEMORY_CHOICES = [64, 128, 256, 512, 1024, 2048];

interface Props {
  spec: DemoSpec;
  preset: Preset;
  onPreset(p: Preset): void;
  onChange(spec: DemoSpec): void;
  onBoot(): void;
  onFiles(files: File[]): void;
  onCopyLink(): void;
}

export function Controls({ spec, preset, onPreset, onChange, onBoot, onFiles, onCopyLink }: Props) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [showScript, setShowScript] = useState(spec.script.length > 0);
  const custom = `${spec.kernel.name}${spec.initrd ? ` + ${spec.initrd.name}` : ''}`;
  return (
    <form
      className="controls"
      data-testid="controls"
      onSubmit={(e) => {
        e.preventDefault();
        onBoot();
      }}
    >
      <label>
        guest
        <select data-testid="preset" value={preset} onChange={(e) => onPreset(e.target.value as Preset)}>
          <option value="linux">Linux 6.12 + busybox</option>
          <option value="hello">hello (tiny PVH test guest)</option>
          {preset === 'custom' && <option value="custom">{custom}</option>}
        </select>
      </label>
      <label>
        vCPUs
        <select data-testid="vcpus" value={spec.vcpus} onChange={(e) => onChange({ ...spec, vcpus: Number(e.target.value) })}>
          {Array.from({ length: MAX_VCPUS_UI }, (_, i) => (
            <option key={i + 1}>{i + 1}</option>
          ))}
        </select>
      </label>
      <label>
        memory
        <select data-testid="memory" value={spec.memoryMiB} onChange={(e) => onChange({ ...spec, memoryMiB: Number(e.target.value) })}>
          {[...new Set([...MEMORY_CHOICES, spec.memoryMiB])].sort((a, b) => a - b).map((m) => (
            <option key={m} value={m}>
              {m >= 1024 ? `${m / 1024} GiB` : `${m} MiB`}
            </option>
          ))}
        </select>
      </label>
      <label className="grow">
        cmdline
        <input data-testid="cmdline" value={spec.cmdline} spellCheck={false} onChange={(e) => onChange({ ...spec, cmdline: e.target.value })} />
      </label>
      <button type="button" className={showScript || spec.script.length ? 'on' : ''} onClick={() => setShowScript((v) => !v)} title="lines typed into the console after the shell prompt appears">
        script{spec.script.length ? ` (${spec.script.length})` : ''}
      </button>
      <button type="submit" className="primary" data-testid="boot">
        Boot
      </button>
      <button type="button" onClick={() => fileRef.current?.click()} title="or drop files anywhere on the page">
        Open files…
      </button>
      <input
        ref={fileRef}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          onFiles([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
      <button type="button" data-testid="copy-link" onClick={onCopyLink}>
        Copy link
      </button>
      {showScript && (
        <textarea
          className="script"
          data-testid="script"
          rows={3}
          spellCheck={false}
          placeholder="input script: one command per line, typed after each shell prompt"
          value={spec.script.join('\n')}
          onChange={(e) => onChange({ ...spec, script: e.target.value === '' ? [] : e.target.value.split('\n') })}
        />
      )}
    </form>
  );
}
