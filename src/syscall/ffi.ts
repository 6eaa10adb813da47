/**
 * Every native function tsbpf calls, declared once as C prototypes through koffi.
 *
 * This is the only file in tsbpf that declares native functions (`poll.ts` also imports
 * koffi, for its libuv poll handle, `koffi.node.poll`). Functions are declared with fixed arity
 * (`syscall` is variadic in C, but a fixed-arity declaration is the fastest koffi call and is
 * ABI-compatible on x86-64 and arm64). Pointers cross the boundary as `bigint` addresses of
 * memory tsbpf allocated itself (see `memory.ts`).
 *
 * Rule: read {@link errno} only right after a call that returned -1; koffi keeps a stale
 * value after successful calls.
 * @module
 */
import koffi from 'koffi';

/** Syscall numbers that differ per architecture (asm-generic for arm64). */
interface SyscallNumbers {
  bpf: number;
  perf_event_open: number;
}

const syscallNumbers: Record<string, SyscallNumbers> = {
  x64: { bpf: 321, perf_event_open: 298 },
  arm64: { bpf: 280, perf_event_open: 241 },
};

/** The syscall numbers for this process's architecture, or undefined when unsupported. */
export const nr: SyscallNumbers | undefined = syscallNumbers[process.arch];

/** Whether tsbpf can make syscalls on this platform at all. */
export const supportedPlatform = process.platform === 'linux' && nr !== undefined;

type Fn<A extends unknown[], R> = (...args: A) => R;

interface Libc {
  /** `long syscall(long nr, long cmd, void *attr, uint32 size)`, used for bpf(2). */
  bpf: Fn<[number, number, bigint, number], number>;
  /** `long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)`. */
  perfEventOpen: Fn<[number, bigint, number, number, number, number], number>;
  /** `long syscall(long nr, int pid, unsigned int flags)`, used for pidfd_open(2). */
  pidfdOpen: Fn<[number, number, number], number>;
  ioctl: Fn<[number, number, number], number>;
  ioctlPtr: Fn<[number, number, bigint], number>;
  close: Fn<[number], number>;
  fcntl: Fn<[number, number, number], number>;
  mmap: Fn<[bigint | null, number, number, number, number, number], bigint>;
  munmap: Fn<[bigint, number], number>;
  getpagesize: Fn<[], number>;
  epoll_create1: Fn<[number], number>;
  epoll_ctl: Fn<[number, number, number, bigint], number>;
  epoll_wait: Fn<[number, bigint, number, number], number>;
  setsockopt: Fn<[number, number, number, bigint, number], number>;
  socket: Fn<[number, number, number], number>;
  bind: Fn<[number, bigint, number], number>;
  open: Fn<[string, number, number], number>;
  statfs: Fn<[string, bigint], number>;
  get_nprocs_conf: Fn<[], number>;
  getrlimit: Fn<[number, bigint], number>;
  setrlimit: Fn<[number, bigint], number>;
}

let lib: Libc | undefined;

/** The libc bindings, loaded on first use (importing tsbpf never loads native code). */
export function libc(): Libc {
  if (lib) return lib;
  const c = koffi.load('libc.so.6');
  lib = {
    bpf: c.func('long syscall(long nr, long cmd, void *attr, uint32 size)'),
    perfEventOpen: c.func('long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)'),
    pidfdOpen: c.func('long syscall(long nr, int pid, unsigned int flags)'),
    ioctl: c.func('int ioctl(int fd, unsigned long request, long arg)'),
    ioctlPtr: c.func('int ioctl(int fd, unsigned long request, void *arg)'),
    close: c.func('int close(int fd)'),
    fcntl: c.func('int fcntl(int fd, int cmd, int arg)'),
    mmap: c.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64 off)'),
    munmap: c.func('int munmap(void *addr, size_t len)'),
    getpagesize: c.func('int getpagesize()'),
    epoll_create1: c.func('int epoll_create1(int flags)'),
    epoll_ctl: c.func('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epoll_wait: c.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
    setsockopt: c.func('int setsockopt(int fd, int level, int optname, void *optval, uint32 optlen)'),
    socket: c.func('int socket(int domain, int type, int protocol)'),
    bind: c.func('int bind(int fd, void *addr, uint32 addrlen)'),
    open: c.func('int open(const char *path, int flags, uint32 mode)'),
    statfs: c.func('int statfs(const char *path, void *buf)'),
    get_nprocs_conf: c.func('int get_nprocs_conf()'),
    getrlimit: c.func('int getrlimit(int resource, void *rlim)'),
    setrlimit: c.func('int setrlimit(int resource, const void *rlim)'),
  } as unknown as Libc;
  return lib;
}

/** The errno of the last failed call on this thread. */
export function errno(): number {
  return koffi.errno();
}

/** Allocates `size` bytes of native memory; returns its address. Freed with {@link free}. */
export function alloc(size: number): bigint {
  return koffi.alloc('uint8', size) as bigint;
}

/** Frees memory from {@link alloc}. */
export function free(ptr: bigint): void {
  koffi.free(ptr);
}

/** An `ArrayBuffer` aliasing `len` bytes of native memory at `ptr` (no copy). */
export function view(ptr: bigint, len: number): ArrayBuffer {
  return koffi.view(ptr, len);
}
