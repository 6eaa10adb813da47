/**
 * kprobe.multi glob resolution against a tracefs `available_filter_functions` listing (pure:
 * the listing is an argument). The VMs attach for real (test/vm/attach.test.ts, 6.12).
 */
import { describe, expect, it } from 'vitest';
import { kprobeMultiSymbols } from '../../src/link/index.js';

const listing = [
  'do_unlinkat',
  'do_rmdir',
  'do_unlinkat',
  'vfs_read',
  'vfs_readv',
  'vfs_write',
  '__ftrace_invalid_address___84',
  'ext4_file_read_iter [ext4]',
  'a.b+c',
  '',
].join('\n');

describe('kprobe.multi globs', () => {
  it('* and ? match as in libbpf, each function once, in listing order', () => {
    expect(kprobeMultiSymbols('vfs_*', listing)).toEqual(['vfs_read', 'vfs_readv', 'vfs_write']);
    expect(kprobeMultiSymbols('vfs_rea?', listing)).toEqual(['vfs_read']);
    expect(kprobeMultiSymbols('do_unlinkat', listing)).toEqual(['do_unlinkat']);
  });

  it('module functions count by name; unresolved ftrace records never match', () => {
    expect(kprobeMultiSymbols('ext4_*', listing)).toEqual(['ext4_file_read_iter']);
    expect(kprobeMultiSymbols('__ftrace*', listing)).toEqual([]);
  });

  it('other regular-expression characters are literal', () => {
    expect(kprobeMultiSymbols('a.b+c', listing)).toEqual(['a.b+c']);
    expect(kprobeMultiSymbols('a?b+c', listing)).toEqual(['a.b+c']);
    expect(kprobeMultiSymbols('a.b.c', listing)).toEqual([]);
    expect(kprobeMultiSymbols('*', '')).toEqual([]);
  });
});
