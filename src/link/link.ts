/**
 * `Link`: one attachment of a program, owned by one object.
 *
 * Since Linux 5.7 most attachments are **bpf_links** (`BPF_LINK_CREATE`,
 * `BPF_RAW_TRACEPOINT_OPEN`): a kernel object with an fd, which detaches when its last
 * reference goes away, can be pinned on a bpffs to outlive the process, reports itself with
 * `BPF_OBJ_GET_INFO_BY_FD`, and (for most types) swaps its program atomically with
 * `BPF_LINK_UPDATE`. {@link FdLink} is that. Older mechanisms have no link object: a perf
 * event with `PERF_EVENT_IOC_SET_BPF`, `SO_ATTACH_BPF` on a socket, `BPF_PROG_ATTACH` on a
 * sockmap. They implement the same {@link Link} interface, and `pin`/`update` throw
 * `NotSupportedError` where the kernel has no such operation.
 * @module
 */
import { NotSupportedError } from '../errors.js';
import { Fd, linkDetach, linkInfo, linkUpdate, objGet, objPin, type LinkInfo } from '../syscall/index.js';
import { linkTypeName } from '../uapi/bpf.js';

/**
 * What the attach functions need from a loaded program: its fd (borrowed, not owned), name
 * and `enum bpf_prog_type`; `expectedAttachType` when it was loaded with one.
 */
export interface AttachableProgram {
  /**
   * The program fd (`prog_fd` of the attach commands). Borrowed: a kernel link or perf event
   * takes its own reference to the program, so closing the program later keeps it attached.
   */
  fd: number;
  /** The program's name, for error messages and {@link AttachmentInfo.program}. */
  name: string;
  /** `enum bpf_prog_type` ({@link ProgType}); each attach function checks it before any syscall. */
  type: number;
  /** The `expected_attach_type` it was loaded with ({@link AttachType}); picks the link kind of tracing and iterator programs. */
  expectedAttachType?: number;
}

/** What {@link Link.info} returns for an attachment that has no kernel link object. */
export interface AttachmentInfo {
  /** Always undefined: there is no `bpf_link`. */
  id: undefined;
  /** The mechanism, e.g. `perf_event (ioctl)`, `socket filter`. */
  kind: string;
  /** Where it is attached, as {@link Link.target}. */
  target: string;
  /** The attached program's name (no link means no program id to look up); `''` for an empty {@link LinkGroup}. */
  program: string;
}

/** One attachment of a program. Close it to detach; `close()` is idempotent. */
export interface Link {
  /** The mechanism: `tracepoint`, `raw_tracepoint`, `xdp`, `uprobe`, ... */
  readonly kind: string;
  /** Where it is attached, as the caller named it. */
  readonly target: string;
  /** Whether {@link Link.close} ran. */
  readonly closed: boolean;
  /** Detaches (for bpf_links: drops this process's reference; a pin keeps it attached). */
  close(): void;
  /** Calls {@link Link.close}, so that `using link = attach...(...)` detaches at the end of the scope. */
  [Symbol.dispose](): void;
  /** Pins the link at `path` on a bpffs (`BPF_OBJ_PIN`); it then survives this process. */
  pin(path: string): void;
  /** Replaces the program atomically (`BPF_LINK_UPDATE`), where the link type allows it. */
  update(prog: AttachableProgram): void;
  /** The kernel's view of the link (`struct bpf_link_info`), or a description when there is no link object. */
  info(): LinkInfo | AttachmentInfo;
}

/**
 * A kernel `bpf_link`. Owns its fd, plus any `extra` fds the attachment needs alive while
 * this object lives (closed with it).
 */
export class FdLink implements Link {
  readonly #fd: Fd;
  readonly #extra: Fd[];

  /** Takes ownership of `fd` (and `extra`). */
  constructor(
    readonly kind: string,
    readonly target: string,
    fd: Fd,
    extra: Fd[] = [],
  ) {
    this.#fd = fd;
    this.#extra = extra;
  }

  /** The link fd (-1 once closed). Borrowed: do not close it. */
  get fd(): number {
    return this.#fd.raw;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  close(): void {
    this.#fd.close();
    for (const f of this.#extra) f.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  pin(path: string): void {
    objPin(this.#fd.raw, path);
  }

  update(prog: AttachableProgram): void {
    linkUpdate(this.#fd.raw, prog.fd);
  }

  /**
   * `BPF_LINK_DETACH` (5.9+): detaches now, even while pins or other fds reference the link;
   * the fd stays open but the link is defunct. Not every link type supports it (EOPNOTSUPP).
   */
  detach(): void {
    linkDetach(this.#fd.raw);
  }

  info(): LinkInfo {
    return linkInfo(this.#fd.raw);
  }

  /** Gives up the link fd without closing it (the caller owns the number); this object is then closed. */
  disown(): number {
    for (const f of this.#extra) f.close();
    return this.#fd.disown();
  }
}

/**
 * Opens the link pinned at `path` (`BPF_OBJ_GET`). Closing the result does not unpin it:
 * remove the file to do that.
 */
export function loadPinnedLink(path: string): FdLink {
  const fd = objGet(path);
  try {
    const i = linkInfo(fd.raw);
    return new FdLink(linkTypeName[i.type] ?? `link type ${i.type}`, path, fd);
  } catch (e) {
    fd.close();
    throw e;
  }
}

/**
 * Several links that act as one: a perf event on every CPU, a uprobe on several functions.
 * `pin(dir)` pins member `i` at `dir/<i>`; `update` updates each member.
 */
export class LinkGroup implements Link {
  /** The members, in the order they were attached (one per CPU, per probe location...); the group owns them. */
  readonly links: readonly Link[];
  constructor(
    readonly kind: string,
    readonly target: string,
    links: Link[],
  ) {
    this.links = links;
  }

  get closed(): boolean {
    return this.links.every((l) => l.closed);
  }

  close(): void {
    for (const l of this.links) l.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  pin(dir: string): void {
    this.links.forEach((l, i) => l.pin(`${dir}/${i}`));
  }

  update(prog: AttachableProgram): void {
    for (const l of this.links) l.update(prog);
  }

  /** The first member's info (see {@link LinkGroup.links} for the others). */
  info(): LinkInfo | AttachmentInfo {
    const first = this.links[0];
    if (!first) return { id: undefined, kind: this.kind, target: this.target, program: '' };
    return first.info();
  }
}

/**
 * An attachment without a kernel link object; `detach` undoes it on close. `pin` and
 * `update` throw `NotSupportedError`.
 */
export class LegacyAttachment implements Link {
  #detach: (() => void) | undefined;
  constructor(
    readonly kind: string,
    readonly target: string,
    /** The attached program's name, reported by {@link LegacyAttachment.info}. */
    readonly program: string,
    detach: () => void,
  ) {
    this.#detach = detach;
  }

  get closed(): boolean {
    return this.#detach === undefined;
  }

  close(): void {
    const d = this.#detach;
    this.#detach = undefined;
    d?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  pin(): void {
    throw new NotSupportedError(`pinning a ${this.kind} attachment (no bpf_link)`);
  }

  update(): void {
    throw new NotSupportedError(`replacing the program of a ${this.kind} attachment (no bpf_link)`);
  }

  info(): AttachmentInfo {
    return { id: undefined, kind: this.kind, target: this.target, program: this.program };
  }
}

/** Runs `fn`, closing `fds` if it throws (for building links from several fds). */
export function closingOnError<T>(fds: (Fd | undefined)[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    for (const f of fds) f?.close();
    throw e;
  }
}
