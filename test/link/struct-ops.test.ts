/**
 * struct_ops: a TCP congestion control made of hand-written programs, registered through a
 * struct_ops link; a socket can select it by name while the link lives, not after close.
 */
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { insn, encodeInstructions } from '../../src/asm/index.js';
import { hostLittleEndian, LinkType, progLoad, ProgType, setsockopt, socket, type Fd } from '../../src/syscall/index.js';
import { AttachError, attachStructOps, structOpsMember } from '../../src/link/index.js';
import { kernelBtf } from './programs.js';

const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;
let fds: Fd[] = [];
afterEach(() => {
  for (const f of fds) f.close();
  fds = [];
});

/** A struct_ops program for `tcp_congestion_ops.<member>` that returns `ret`. */
function opsProgram(member: string, ret: number) {
  const m = structOpsMember(kernelBtf(), 'tcp_congestion_ops', member);
  const fd = progLoad({
    prog_type: ProgType.STRUCT_OPS,
    insns: encodeInstructions([insn.mov64Imm(0, ret), insn.exit()], hostLittleEndian),
    license: 'GPL',
    prog_name: member.slice(0, 15),
    expected_attach_type: m.index,
    attach_btf_id: m.typeId,
  });
  fds.push(fd);
  return { fd: fd.raw, name: member, type: ProgType.STRUCT_OPS };
}

function selectCc(name: string): void {
  using s = socket(2 /* AF_INET */, 1 /* SOCK_STREAM */);
  setsockopt(s.raw, IPPROTO_TCP, TCP_CONGESTION, new TextEncoder().encode(name));
}

describeKernel('struct_ops links', () => {
  it('registers a tcp_congestion_ops while the link lives', () => {
    const name = `tsbpf_cc${process.pid % 100000}`;
    expect(() => selectCc(name)).toThrow(/ENOENT/);
    const link = attachStructOps({
      btf: kernelBtf(),
      type: 'tcp_congestion_ops',
      programs: { ssthresh: opsProgram('ssthresh', 10), undo_cwnd: opsProgram('undo_cwnd', 10), cong_avoid: opsProgram('cong_avoid', 0) },
      data: { name },
    });
    try {
      expect(link.info().type).toBe(LinkType.STRUCT_OPS);
      selectCc(name);
    } finally {
      link.close();
    }
    expect(() => selectCc(name)).toThrow(/ENOENT/);
  });

  it('names unknown ops types and members', () => {
    expect(() => structOpsMember(kernelBtf(), 'tcp_congestion_ops', 'no_such_op')).toThrow("struct_ops 'tcp_congestion_ops.no_such_op': struct 'tcp_congestion_ops' has no member 'no_such_op'");
    expect(() => structOpsMember(kernelBtf(), 'task_struct', 'pid')).toThrow(AttachError);
    expect(() => structOpsMember(kernelBtf(), 'no_such_ops', 'x')).toThrow(/kernel BTF has no struct 'no_such_ops'/);
  });
});
