/**
 * `Program`: a loaded BPF program, owning one fd.
 *
 * A program comes from `loadCollection` (which verified it), from a pin (`BPF_OBJ_GET`) or
 * from a kernel id (`BPF_PROG_GET_FD_BY_ID`). What the kernel holds can be read back:
 * `info()` (`struct bpf_prog_info`) and `xlated()`, the instructions after the verifier
 * rewrote them (map fds became map addresses, helper calls were inlined...), which is what
 * `bpftool prog dump xlated` prints.
 *
 * The shape `{ fd, name, type }` is all that attaching needs (`src/link` accepts any object
 * of that shape), so a `Program` can be handed to any attach function.
 * @module
 */
import { decodeProgram, type DecodedInstruction } from '../asm/index.js';
import { TsbpfError } from '../errors.js';
import {
  Fd,
  hostLittleEndian,
  isBpffs,
  NativeBuffer,
  objGet,
  objGetFdById,
  objGetInfoByFd,
  objPin,
  progInfo,
  progTestRun,
  progTypeName,
  type ProgInfo,
} from '../syscall/index.js';

/** A program operation that failed for a reason tsbpf can name (closed, not on a bpffs...). */
export class ProgramError extends TsbpfError {
  /** The program's name ('' when unknown). */
  readonly program: string;
  constructor(program: string, what: string, options?: { cause?: unknown }) {
    super(`program '${program}': ${what}`, options);
    this.program = program;
  }
}

/** Input of {@link Program.testRun} (`BPF_PROG_TEST_RUN`). */
export interface TestRunOptions {
  /** `data_in`: packet bytes (skb, xdp programs). */
  data?: Uint8Array;
  /** Bytes of output packet buffer (`data_size_out`); default: the input's length. */
  dataSizeOut?: number;
  /** `ctx_in`: the context (`struct __sk_buff`, a `syscall` program's argument...). */
  ctx?: Uint8Array;
  /** Bytes of output context buffer (`ctx_size_out`); default: the input ctx's length. */
  ctxSizeOut?: number;
  /** `repeat`: run this many times (the kernel reports the mean duration). */
  repeat?: number;
  /** `flags` (`BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`). */
  flags?: number;
  /** `cpu`, with `BPF_F_TEST_RUN_ON_CPU`. */
  cpu?: number;
}

/** Output of {@link Program.testRun}. */
export interface TestRunResult {
  /** `retval`: the program's return value (r0, low 32 bits, unsigned). */
  retval: number;
  /** `duration`: mean nanoseconds per run. */
  duration: number;
  /** `data_out`: the packet after the run. */
  data: Uint8Array;
  /** `ctx_out`: the context after the run. */
  ctx: Uint8Array;
}

// struct bpf_prog_info: xlated_prog_len at 20, xlated_prog_insns (u64 pointer) at 32.
const PROG_INFO_SIZE = 232;
const XLATED_LEN_OFF = 20;
const XLATED_INSNS_OFF = 32;

/**
 * A loaded BPF program. It owns its fd: call {@link Program.close} (or use `using`); closing
 * twice is harmless. Pinned programs stay in the kernel after close.
 */
export class Program {
  readonly #fd: Fd;
  /** `prog_name` as loaded (the kernel keeps 15 bytes), or the ELF function name. */
  readonly name: string;
  /** `prog_type` (`ProgType.*`). */
  readonly type: number;
  /** `expected_attach_type` (`AttachType.*`), 0 when none or unknown. */
  readonly expectedAttachType: number;

  /**
   * Takes ownership of `fd`. Used by the loader; to open an existing program use
   * {@link Program.fromPin}, {@link Program.fromId} or {@link Program.fromFd}.
   */
  constructor(fd: Fd, name: string, type: number, expectedAttachType = 0) {
    this.#fd = fd;
    this.name = name;
    this.type = type;
    this.expectedAttachType = expectedAttachType;
  }

  /** Takes ownership of an fd that refers to a program (reads its name and type). Closes it on failure. */
  static fromFd(fd: Fd): Program {
    try {
      const i = progInfo(fd.raw);
      return new Program(fd, i.name, i.type);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Opens the program pinned at `path` (`BPF_OBJ_GET`). */
  static fromPin(path: string): Program {
    return Program.fromFd(objGet(path));
  }

  /** Opens the program with kernel id `id` (`BPF_PROG_GET_FD_BY_ID`, needs CAP_SYS_ADMIN). */
  static fromId(id: number): Program {
    const fd = objGetFdById('prog', id);
    if (!fd) throw new ProgramError(`id ${id}`, 'no program with this id');
    return Program.fromFd(fd);
  }

  /** The fd number; throws {@link ProgramError} when the program is closed. */
  get fd(): number {
    const fd = this.#fd.raw;
    if (fd < 0) throw new ProgramError(this.name, 'program is closed');
    return fd;
  }

  /** Whether {@link Program.close} was called. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** The name of the program type as bpftool prints it (`socket_filter`, `xdp`...). */
  get typeName(): string {
    return progTypeName[this.type] ?? String(this.type);
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`: the kernel's view (id, tag, map ids, sizes...). */
  info(): ProgInfo {
    return progInfo(this.fd);
  }

  /** The kernel's id of this program. */
  get id(): number {
    return this.info().id;
  }

  /**
   * The instructions the kernel holds after verification (`xlated_prog_insns`), decoded in
   * host byte order. Needs CAP_SYS_ADMIN (or CAP_PERFMON with bpf_capable); the kernel
   * hides them otherwise (`xlated_prog_len` 0 is returned as an empty array).
   */
  xlated(): DecodedInstruction[] {
    return decodeProgram(xlatedBytes(this.fd), hostLittleEndian);
  }

  /**
   * Kernel addresses of the JIT-compiled program and each of its subprograms
   * (`jited_ksyms`), in subprogram order; empty when not JIT-compiled or hidden. The
   * xlated code of a JIT-compiled program calls subprogram `i` through `imm = i`.
   */
  jitedKsyms(): bigint[] {
    return jitedKsyms(this.fd);
  }

  /** The program's BTF id and the func_info/line_info the kernel keeps (xlated offsets). */
  btfInfo(): ProgBtfInfo {
    return progBtfInfo(this.fd);
  }

  /**
   * Runs the program once, or `repeat` times, on the given input (`BPF_PROG_TEST_RUN`).
   * Supported by socket filter, sched_cls/act, xdp, flow dissector, sk_lookup, raw
   * tracepoint, tracing (fentry/fexit), struct_ops, syscall and netfilter programs.
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const r = progTestRun({
      prog_fd: this.fd,
      data_in: options.data,
      data_size_out: options.dataSizeOut ?? options.data?.length ?? 0,
      ctx_in: options.ctx,
      ctx_size_out: options.ctxSizeOut ?? options.ctx?.length ?? 0,
      repeat: options.repeat,
      flags: options.flags,
      cpu: options.cpu,
    });
    return { retval: r.retval, duration: r.duration, data: r.dataOut, ctx: r.ctxOut };
  }

  /**
   * Pins the program at `path` (`BPF_OBJ_PIN`); the pin keeps it loaded after close.
   * @throws {@link ProgramError} when the directory is not on a bpffs.
   */
  pin(path: string): void {
    const dir = path.slice(0, Math.max(1, path.lastIndexOf('/')));
    if (!isBpffs(dir)) {
      throw new ProgramError(this.name, `cannot pin '${path}': not on a bpffs (mount one with \`mount -t bpf bpf /sys/fs/bpf\`)`);
    }
    objPin(this.fd, path);
  }

  /** A second, independent `Program` for the same kernel program (dup'd fd). */
  clone(): Program {
    return new Program(this.#fd.dup(), this.name, this.type, this.expectedAttachType);
  }

  /** Closes the fd. Harmless when already closed. */
  close(): void {
    this.#fd.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A `struct bpf_func_info` the kernel holds: where a function starts in the xlated code. */
export interface ProgFuncInfo {
  /** `insn_off`, in instructions. */
  insnOff: number;
  /** `type_id`: a FUNC in the program's BTF. */
  typeId: number;
}

/** A `struct bpf_line_info` the kernel holds; offsets are into the program's BTF strings. */
export interface ProgLineInfo {
  /** `insn_off`: index of the instruction in the translated program (in instructions, not bytes). */
  insnOff: number;
  /** `file_name_off` in the program's BTF strings. */
  fileNameOff: number;
  /** `line_off`: the source line's text in the program's BTF strings. */
  lineOff: number;
  /** `line << 10 | column` */
  lineCol: number;
}

/** The BTF-related parts of `struct bpf_prog_info`: the BTF object's id, func_info, line_info. */
export interface ProgBtfInfo {
  /** `btf_id`, 0 when loaded without BTF. */
  btfId: number;
  /** `func_info`: where each function starts, as the kernel keeps it. */
  funcInfo: ProgFuncInfo[];
  /** `line_info`: the source line of instructions, as the kernel keeps it. */
  lineInfo: ProgLineInfo[];
}

// struct bpf_prog_info: btf_id 128, func_info_rec_size 132, func_info 136, nr_func_info 144,
// nr_line_info 148, line_info 152, line_info_rec_size 172.
const BTF_ID_OFF = 128;
const FUNC_INFO_REC_SIZE_OFF = 132;
const FUNC_INFO_OFF = 136;
const NR_FUNC_INFO_OFF = 144;
const NR_LINE_INFO_OFF = 148;
const LINE_INFO_OFF = 152;
const LINE_INFO_REC_SIZE_OFF = 172;

/** `btf_id`, `func_info` and `line_info` of the program behind `fd` (two info calls). */
export function progBtfInfo(fd: number): ProgBtfInfo {
  const info = new NativeBuffer(PROG_INFO_SIZE);
  const le = hostLittleEndian;
  try {
    info.bytes.fill(0);
    objGetInfoByFd(fd, info);
    const btfId = info.view.getUint32(BTF_ID_OFF, le);
    const nf = info.view.getUint32(NR_FUNC_INFO_OFF, le);
    const nl = info.view.getUint32(NR_LINE_INFO_OFF, le);
    if (btfId === 0 || nf > 65536 || nl > 1 << 20) return { btfId, funcInfo: [], lineInfo: [] };
    const fbuf = new NativeBuffer(nf * 8);
    const lbuf = new NativeBuffer(nl * 16);
    try {
      info.bytes.fill(0);
      info.view.setUint32(FUNC_INFO_REC_SIZE_OFF, 8, le);
      info.view.setUint32(NR_FUNC_INFO_OFF, nf, le);
      info.view.setBigUint64(FUNC_INFO_OFF, fbuf.ptr, le);
      info.view.setUint32(LINE_INFO_REC_SIZE_OFF, 16, le);
      info.view.setUint32(NR_LINE_INFO_OFF, nl, le);
      info.view.setBigUint64(LINE_INFO_OFF, lbuf.ptr, le);
      objGetInfoByFd(fd, info);
      const funcInfo = Array.from({ length: Math.min(nf, info.view.getUint32(NR_FUNC_INFO_OFF, le)) }, (_, i) => ({
        insnOff: fbuf.view.getUint32(i * 8, le),
        typeId: fbuf.view.getUint32(i * 8 + 4, le),
      }));
      const lineInfo = Array.from({ length: Math.min(nl, info.view.getUint32(NR_LINE_INFO_OFF, le)) }, (_, i) => ({
        insnOff: lbuf.view.getUint32(i * 16, le),
        fileNameOff: lbuf.view.getUint32(i * 16 + 4, le),
        lineOff: lbuf.view.getUint32(i * 16 + 8, le),
        lineCol: lbuf.view.getUint32(i * 16 + 12, le),
      }));
      return { btfId, funcInfo, lineInfo };
    } finally {
      fbuf.free();
      lbuf.free();
    }
  } finally {
    info.free();
  }
}

// struct bpf_prog_info: nr_jited_ksyms at 104, jited_ksyms (u64 pointer to u64s) at 112.
const NR_JITED_KSYMS_OFF = 104;
const JITED_KSYMS_OFF = 112;

/** `jited_ksyms` of the program behind `fd` (two `BPF_OBJ_GET_INFO_BY_FD` calls). */
export function jitedKsyms(fd: number): bigint[] {
  const info = new NativeBuffer(PROG_INFO_SIZE);
  try {
    info.bytes.fill(0);
    objGetInfoByFd(fd, info);
    const n = info.view.getUint32(NR_JITED_KSYMS_OFF, hostLittleEndian);
    if (n === 0 || n > 65536) return [];
    const syms = new NativeBuffer(n * 8);
    try {
      info.bytes.fill(0);
      info.view.setUint32(NR_JITED_KSYMS_OFF, n, hostLittleEndian);
      info.view.setBigUint64(JITED_KSYMS_OFF, syms.ptr, hostLittleEndian);
      objGetInfoByFd(fd, info);
      const got = Math.min(n, info.view.getUint32(NR_JITED_KSYMS_OFF, hostLittleEndian));
      return Array.from({ length: got }, (_, i) => syms.view.getBigUint64(i * 8, hostLittleEndian));
    } finally {
      syms.free();
    }
  } finally {
    info.free();
  }
}

/**
 * The raw `xlated_prog_insns` of the program behind `fd`: a first `BPF_OBJ_GET_INFO_BY_FD`
 * reads `xlated_prog_len`, a second gives the kernel a buffer of that size.
 */
export function xlatedBytes(fd: number): Uint8Array {
  const info = new NativeBuffer(PROG_INFO_SIZE);
  try {
    info.bytes.fill(0);
    objGetInfoByFd(fd, info);
    const len = info.view.getUint32(XLATED_LEN_OFF, hostLittleEndian);
    if (len === 0) return new Uint8Array(0);
    const insns = new NativeBuffer(len);
    try {
      info.bytes.fill(0);
      info.view.setUint32(XLATED_LEN_OFF, len, hostLittleEndian);
      info.view.setBigUint64(XLATED_INSNS_OFF, insns.ptr, hostLittleEndian);
      objGetInfoByFd(fd, info);
      const got = Math.min(len, info.view.getUint32(XLATED_LEN_OFF, hostLittleEndian));
      return insns.bytes.slice(0, got - (got % 8));
    } finally {
      insns.free();
    }
  } finally {
    info.free();
  }
}
