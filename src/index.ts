/**
 * tsbpf: eBPF for TypeScript, with no libbpf and no native build.
 *
 * The public API. Layers, lowest first (a lower layer never imports a higher one):
 * 1. pure parsing and object model: ELF, BTF, CO-RE, instructions, verifier logs;
 * 2. `src/syscall`, the only code that calls the kernel (through koffi);
 * 3. the runtime: maps, programs, links, ring buffers, feature probes;
 * 4. the `tsbpf` CLI.
 * @packageDocumentation
 */
export * from './errors.js';
export { ByteReader } from './bytes/reader.js';
export * from './uapi/bpf.js';
export * from './elf/index.js';
export * from './btf/index.js';
export * from './asm/index.js';
export * from './object/index.js';
export * from './core/index.js';
export * from './verifier-log/index.js';
export * from './syscall/index.js';
export * from './maps/index.js';
export * from './ringbuf/index.js';
export * from './perf/index.js';
export * from './features/index.js';
export * from './programs/index.js';
export * from './collection/index.js';
export * from './link/index.js';
export * from './check/index.js';
export * from './preflight/index.js';
export * from './gen/skeleton/index.js';
export * from './collection/skeleton.js';
export * from './linker/index.js';
