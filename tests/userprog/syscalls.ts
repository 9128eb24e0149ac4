// The Linux x86-64 system calls a static musl program needs, serviced on the host side. Each handler
// gets the six argument registers (RDI RSI RDX R10 R8 R9) and returns the value for RAX: a result or
// -errno, exactly as the kernel would. Anything not listed stops the run with the syscall's number.
import { AddressSpace, GuestFault, PROT_EXEC, PROT_READ, PROT_WRITE } from './address-space.ts';
import { PAGE_SIZE } from '../../wasm/layout.ts';

export const EPERM = 1;
export const ENOENT = 2;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ENOSYS = 38;

const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MREMAP_MAYMOVE = 1;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;

/** Stops the run: the program called something this environment does not provide. */
export class UnknownSyscall extends Error {
  constructor(
    readonly nr: number,
    readonly args: bigint[],
  ) {
    super(`unimplemented Linux syscall ${nr}${SYSCALL_NAMES[nr] ? ` (${SYSCALL_NAMES[nr]})` : ''} args ${args.map((a) => '0x' + a.toString(16)).join(' ')}`);
  }
}

export class ProcessExit {
  constructor(readonly status: number) {}
}

const SYSCALL_NAMES: Record<number, string> = {
  0: 'read', 1: 'write', 2: 'open', 3: 'close', 4: 'stat', 5: 'fstat', 6: 'lstat', 7: 'poll', 8: 'lseek', 9: 'mmap',
  10: 'mprotect', 11: 'munmap', 12: 'brk', 13: 'rt_sigaction', 14: 'rt_sigprocmask', 15: 'rt_sigreturn', 16: 'ioctl',
  19: 'readv', 20: 'writev', 21: 'access', 24: 'sched_yield', 25: 'mremap', 28: 'madvise', 39: 'getpid', 60: 'exit',
  62: 'kill', 63: 'uname', 72: 'fcntl', 79: 'getcwd', 89: 'readlink', 96: 'gettimeofday', 97: 'getrlimit',
  102: 'getuid', 104: 'getgid', 107: 'geteuid', 108: 'getegid', 110: 'getppid', 158: 'arch_prctl', 186: 'gettid',
  200: 'tkill', 201: 'time', 218: 'set_tid_address', 228: 'clock_gettime', 231: 'exit_group', 234: 'tgkill',
  257: 'openat', 262: 'newfstatat', 273: 'set_robust_list', 302: 'prlimit64', 318: 'getrandom', 332: 'statx', 334: 'rseq',
};

export interface SyscallHost {
  mem: AddressSpace;
  /** current instruction count, for a deterministic clock */
  instructions(): bigint;
  setFsBase(v: bigint): void;
  getFsBase(): bigint;
}

export const PID = 4242;
export const UID = 1000;
export const GID = 1000;
/** where brk may grow to, and the top-down mmap area */
const BRK_LIMIT = 0x40000000;
export const MMAP_TOP = 0x7f0000000000;

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const num = (v: bigint) => Number(BigInt.asUintN(64, v));
const roundUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

export class LinuxSyscalls {
  readonly stdout: number[] = [];
  readonly stderr: number[] = [];
  readonly counts = new Map<string, number>();
  private brkStart: number;
  private brkCur: number;
  private mmapNext = MMAP_TOP;
  private random = 0x2545f4914f6cdd1dn;

  constructor(
    private readonly host: SyscallHost,
    brkStart: number,
  ) {
    this.brkStart = this.brkCur = brkStart;
  }

  private rand64(): bigint {
    let x = this.random;
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    this.random = x;
    return x;
  }

  /** Services syscall `nr`; returns the value for RAX (throws ProcessExit / UnknownSyscall). */
  handle(nr: number, a: bigint[]): bigint {
    const name = SYSCALL_NAMES[nr] ?? String(nr);
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    try {
      return BigInt(this.dispatch(nr, a));
    } catch (e) {
      if (e instanceof GuestFault) return BigInt(-EFAULT);
      throw e;
    }
  }

  private dispatch(nr: number, a: bigint[]): number | bigint {
    const mem = this.host.mem;
    switch (nr) {
      case 0: // read(fd, buf, count): stdin is empty
        return Number(a[0]) === 0 ? 0 : -EBADF;
      case 1: // write(fd, buf, count)
        return this.output(Number(s64(a[0])), mem.read(num(a[1]), num(a[2])));
      case 20: {
        // writev(fd, iov, iovcnt)
        const fd = Number(s64(a[0]));
        let total = 0;
        for (let i = 0; i < num(a[2]); i++) {
          const base = num(mem.readU64(num(a[1]) + 16 * i));
          const len = num(mem.readU64(num(a[1]) + 16 * i + 8));
          const r = this.output(fd, mem.read(base, len));
          if (r < 0) return r;
          total += r;
        }
        return total;
      }
      case 60: // exit
      case 231: // exit_group
        throw new ProcessExit(Number(a[0] & 0xffn));
      case 12: // brk
        return this.brk(num(a[0]));
      case 9: // mmap(addr, len, prot, flags, fd, off)
        return this.mmap(num(a[0]), num(a[1]), Number(a[2]), Number(a[3]), Number(s64(a[4])));
      case 11: // munmap
        if (num(a[0]) % PAGE_SIZE) return -EINVAL;
        mem.unmapUser(num(a[0]), roundUp(num(a[1])));
        return 0;
      case 10: // mprotect
        if (num(a[0]) % PAGE_SIZE) return -EINVAL;
        return mem.protect(num(a[0]), roundUp(num(a[1])), Number(a[2]) & (PROT_READ | PROT_WRITE | PROT_EXEC)) ? 0 : -ENOMEM;
      case 25: // mremap(old, oldlen, newlen, flags)
        return this.mremap(num(a[0]), num(a[1]), num(a[2]), Number(a[3]));
      case 28: // madvise
        return 0;
      case 158: // arch_prctl
        if (Number(a[0]) === ARCH_SET_FS) {
          this.host.setFsBase(a[1]);
          return 0;
        }
        if (Number(a[0]) === ARCH_GET_FS) {
          mem.writeU64(num(a[1]), this.host.getFsBase());
          return 0;
        }
        return -EINVAL;
      case 218: // set_tid_address
        return PID;
      case 273: // set_robust_list
      case 334: // rseq
        return -ENOSYS;
      case 16: // ioctl: nothing here is a terminal (TIOCGWINSZ → ENOTTY, as for a pipe)
        return -ENOTTY;
      case 13: // rt_sigaction
      case 14: // rt_sigprocmask
        return 0;
      case 39: // getpid
      case 186: // gettid
        return PID;
      case 110: // getppid
        return 1;
      case 102:
      case 107:
        return UID;
      case 104:
      case 108:
        return GID;
      case 63: {
        // uname: six fields of 65 bytes
        const u = new Uint8Array(65 * 6);
        ['Linux', 'webpvh', '6.1.0', '#1 SMP', 'x86_64', '(none)'].forEach((s, i) => u.set(Buffer.from(s, 'latin1'), 65 * i));
        mem.write(num(a[0]), u);
        return 0;
      }
      case 228: {
        // clock_gettime(clk, ts): a fixed epoch plus 1 ns per retired instruction
        const ns = this.host.instructions();
        mem.writeU64(num(a[1]), 1700000000n + ns / 1000000000n);
        mem.writeU64(num(a[1]) + 8, ns % 1000000000n);
        return 0;
      }
      case 96: {
        // gettimeofday(tv, tz)
        const ns = this.host.instructions();
        if (a[0]) {
          mem.writeU64(num(a[0]), 1700000000n + ns / 1000000000n);
          mem.writeU64(num(a[0]) + 8, (ns % 1000000000n) / 1000n);
        }
        return 0;
      }
      case 201: // time
        if (a[0]) mem.writeU64(num(a[0]), 1700000000n);
        return 1700000000;
      case 318: {
        // getrandom(buf, len, flags): deterministic bytes
        const n = num(a[1]);
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) b[i] = Number(this.rand64() & 0xffn);
        mem.write(num(a[0]), b);
        return n;
      }
      case 89: // readlink
      case 2: // open
      case 21: // access
      case 4: // stat
      case 6: // lstat
        return -ENOENT;
      case 257: // openat
        return -ENOENT;
      case 5: // fstat
      case 262: // newfstatat
      case 332: // statx
      case 72: // fcntl
      case 8: // lseek
        return -EBADF;
      case 3: // close
        return Number(s64(a[0])) <= 2 ? 0 : -EBADF;
      case 24: // sched_yield
        return 0;
      case 302: // prlimit64
        return -EPERM;
      case 200: // tkill
      case 234: // tgkill
      case 62: // kill: the only signal a lone musl program sends itself is SIGABRT
        throw new ProcessExit(128 + Number(a[nr === 234 ? 2 : 1] & 0x7fn));
      default:
        throw new UnknownSyscall(nr, a);
    }
  }

  private output(fd: number, bytes: Uint8Array): number {
    if (fd === 1) for (const b of bytes) this.stdout.push(b);
    else if (fd === 2) for (const b of bytes) this.stderr.push(b);
    else return -EBADF;
    return bytes.length;
  }

  private brk(want: number): number {
    if (want === 0 || want < this.brkStart || want > BRK_LIMIT) return this.brkCur;
    const oldTop = roundUp(this.brkCur);
    const newTop = roundUp(want);
    if (newTop > oldTop) this.host.mem.mapUser(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE);
    else if (newTop < oldTop) this.host.mem.unmapUser(newTop, oldTop - newTop);
    this.brkCur = want;
    return want;
  }

  private freeRange(len: number): number {
    for (;;) {
      const start = this.mmapNext - len;
      let clash = false;
      for (let p = start; p < this.mmapNext; p += PAGE_SIZE) if (this.host.mem.isMapped(p)) clash = true;
      this.mmapNext = start;
      if (!clash) return start;
    }
  }

  private mmap(addr: number, len: number, prot: number, flags: number, fd: number): number {
    if (!(flags & MAP_ANONYMOUS) || fd !== -1) return -EBADF;
    if (len === 0) return -EINVAL;
    len = roundUp(len);
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    let va: number;
    if (flags & MAP_FIXED) {
      if (addr % PAGE_SIZE) return -EINVAL;
      va = addr;
      this.host.mem.unmapUser(va, len);
    } else {
      va = this.freeRange(len);
    }
    this.host.mem.mapUser(va, len, prot);
    return va;
  }

  private mremap(old: number, oldLen: number, newLen: number, flags: number): number {
    if (old % PAGE_SIZE) return -EINVAL;
    oldLen = roundUp(oldLen);
    newLen = roundUp(newLen);
    const mem = this.host.mem;
    if (newLen <= oldLen) {
      mem.unmapUser(old + newLen, oldLen - newLen);
      return old;
    }
    const prot = mem.protOf(old);
    if (prot < 0) return -EFAULT;
    let growsInPlace = true;
    for (let p = old + oldLen; p < old + newLen; p += PAGE_SIZE) if (mem.isMapped(p)) growsInPlace = false;
    if (growsInPlace) {
      mem.mapUser(old + oldLen, newLen - oldLen, prot);
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    const to = this.freeRange(newLen);
    mem.movePages(old, to, oldLen);
    mem.mapUser(to + oldLen, newLen - oldLen, prot);
    return to;
  }
}

