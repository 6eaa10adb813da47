/**
 * Layer 3 (runtime): loaded BPF programs. {@link Program} owns one fd and can run
 * (`BPF_PROG_TEST_RUN`), be pinned, and show what the kernel holds (`info()`, the
 * translated instructions with `xlated()`). Programs are loaded from an `ObjectSpec` by
 * `src/collection`; this folder only wraps the fd.
 *
 * May import: `src/syscall`, `src/asm`, `src/errors.ts`, `src/uapi`. Not `src/maps` or
 * `src/collection` (the collection imports this).
 * @module
 */
export { Program, ProgramError, xlatedBytes, jitedKsyms, progBtfInfo, type ProgBtfInfo, type ProgFuncInfo, type ProgLineInfo, type TestRunOptions, type TestRunResult } from './program.js';
