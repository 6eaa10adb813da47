/**
 * The UAPI constants, as the syscall layer's files import them. They live in the pure
 * `src/uapi/bpf.ts`, so that the object model can name program and map types too.
 * @module
 */
export * from '../uapi/bpf.js';
