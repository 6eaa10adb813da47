/**
 * errno numbers and names (Linux, asm-generic/errno-base.h and errno.h), for messages and
 * for code that branches on a particular errno.
 * @module
 */

/** The errno values tsbpf names in errors or tests for. */
export const Errno = {
  /** `EPERM` (1): operation not permitted. */
  EPERM: 1,
  /** `ENOENT` (2): no such file or directory. */
  ENOENT: 2,
  /** `ESRCH` (3): no such process. */
  ESRCH: 3,
  /** `EINTR` (4): interrupted system call. */
  EINTR: 4,
  /** `EIO` (5): input/output error. */
  EIO: 5,
  /** `ENXIO` (6): no such device or address. */
  ENXIO: 6,
  /** `E2BIG` (7): argument list too long. */
  E2BIG: 7,
  /** `EBADF` (9): bad file descriptor. */
  EBADF: 9,
  /** `EAGAIN` (11): resource temporarily unavailable. */
  EAGAIN: 11,
  /** `ENOMEM` (12): cannot allocate memory. */
  ENOMEM: 12,
  /** `EACCES` (13): permission denied. */
  EACCES: 13,
  /** `EFAULT` (14): bad address. */
  EFAULT: 14,
  /** `EBUSY` (16): device or resource busy. */
  EBUSY: 16,
  /** `EEXIST` (17): file exists. */
  EEXIST: 17,
  /** `EXDEV` (18): invalid cross-device link. */
  EXDEV: 18,
  /** `ENODEV` (19): no such device. */
  ENODEV: 19,
  /** `ENOTDIR` (20): not a directory. */
  ENOTDIR: 20,
  /** `EISDIR` (21): is a directory. */
  EISDIR: 21,
  /** `EINVAL` (22): invalid argument. */
  EINVAL: 22,
  /** `ENFILE` (23): too many open files in system. */
  ENFILE: 23,
  /** `EMFILE` (24): too many open files. */
  EMFILE: 24,
  /** `ENOTTY` (25): inappropriate ioctl for device. */
  ENOTTY: 25,
  /** `EFBIG` (27): file too large. */
  EFBIG: 27,
  /** `ENOSPC` (28): no space left on device. */
  ENOSPC: 28,
  /** `ESPIPE` (29): illegal seek. */
  ESPIPE: 29,
  /** `EROFS` (30): read-only file system. */
  EROFS: 30,
  /** `EMLINK` (31): too many links. */
  EMLINK: 31,
  /** `ERANGE` (34): numerical result out of range. */
  ERANGE: 34,
  /** `EDEADLK` (35): resource deadlock avoided. */
  EDEADLK: 35,
  /** `ENAMETOOLONG` (36): file name too long. */
  ENAMETOOLONG: 36,
  /** `ENOSYS` (38): function not implemented. */
  ENOSYS: 38,
  /** `ENOTEMPTY` (39): directory not empty. */
  ENOTEMPTY: 39,
  /** `ELOOP` (40): too many levels of symbolic links. */
  ELOOP: 40,
  /** `ENOMSG` (42): no message of desired type. */
  ENOMSG: 42,
  /** `ENODATA` (61): no data available. */
  ENODATA: 61,
  /** `EOVERFLOW` (75): value too large for defined data type. */
  EOVERFLOW: 75,
  /** `EBADFD` (77): file descriptor in bad state. */
  EBADFD: 77,
  /** `ENOTSOCK` (88): socket operation on non-socket. */
  ENOTSOCK: 88,
  /** `EPROTONOSUPPORT` (93): protocol not supported. */
  EPROTONOSUPPORT: 93,
  /** `EOPNOTSUPP` (95): operation not supported. */
  EOPNOTSUPP: 95,
  /** `EAFNOSUPPORT` (97): address family not supported by protocol. */
  EAFNOSUPPORT: 97,
  /** `EADDRINUSE` (98): address already in use. */
  EADDRINUSE: 98,
  /** `EADDRNOTAVAIL` (99): cannot assign requested address. */
  EADDRNOTAVAIL: 99,
  /** `ENETDOWN` (100): network is down. */
  ENETDOWN: 100,
  /** `ECONNRESET` (104): connection reset by peer. */
  ECONNRESET: 104,
  /** `ETIMEDOUT` (110): connection timed out. */
  ETIMEDOUT: 110,
  /** `EALREADY` (114): operation already in progress. */
  EALREADY: 114,
  /** `EINPROGRESS` (115): operation now in progress. */
  EINPROGRESS: 115,
  /** `ECANCELED` (125): operation canceled. */
  ECANCELED: 125,
  // Kernel-internal, but bpf() returns it for some unsupported requests (include/linux/errno.h).
  /** `ENOTSUPP` (524): the kernel-internal "operation not supported" (`include/linux/errno.h`), which bpf() returns for some unsupported attach and test-run cases. */
  ENOTSUPP: 524,
} as const;

const names = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

const descriptions: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  E2BIG: 'argument list too long',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  ENOTTY: 'inappropriate ioctl for device',
  ENOSPC: 'no space left on device',
  ERANGE: 'numerical result out of range',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ELOOP: 'too many levels of symbolic links',
  EOVERFLOW: 'value too large for defined data type',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUPP: 'operation not supported (kernel internal ENOTSUPP)',
  ENOTSOCK: 'socket operation on non-socket',
  ENOMSG: 'no message of desired type',
};

/** `EPERM` for 1; `errno 200` for numbers without a name here. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `errno ${errno}`;
}

/** A short lowercase description, like strerror(3). */
export function errnoDescription(errno: number): string {
  return descriptions[errnoName(errno)] ?? 'unknown error';
}
