/**
 * `tsbpf replay FILE`: a recording fed through the same {@link Presenter} as the run that
 * made it, so it prints what the run printed, anywhere, with no kernel and no privileges.
 * Display options default to the recorded ones and may be changed (`--json`,
 * `--hist-style`): the recording holds raw bytes, not text.
 * @module
 */
import { parseBtf } from '../../btf/index.js';
import { TsbpfError } from '../../errors.js';
import type { HistStyle } from './hist.js';
import { Presenter, type PresenterSink } from './presenter.js';
import { decodeRecording } from './record-file.js';

/** Display choices of a replay; undefined: as recorded. */
export interface ReplayOptions {
  json?: boolean;
  histStyle?: HistStyle;
  color: boolean;
}

/**
 * Prints the recording `text` to `sink`; the summary line goes to `sink.err`.
 * @throws TsbpfError for a file that is not a recording (or a damaged one).
 */
export function replay(text: string, options: ReplayOptions, sink: PresenterSink): void {
  const { header, items } = decodeRecording(text);
  let btf;
  if (header.btf) {
    try {
      btf = parseBtf(header.btf, { section: 'recording BTF' });
    } catch (e) {
      throw new TsbpfError(`recording of '${header.object}': ${(e as Error).message}`, { cause: e });
    }
  }
  const p = new Presenter(
    header.plan,
    btf,
    header.littleEndian,
    { json: options.json ?? header.options.json, histStyle: options.histStyle ?? header.options.histStyle, tzOffsetMin: header.tzOffsetMin, color: options.color },
    sink,
  );
  for (const item of items) {
    switch (item.kind) {
      case 'event':
        p.event(item.map, item.t, item.data);
        break;
      case 'lost':
        p.lostRecords(item.map, item.t, item.count);
        break;
      case 'printk':
        p.printk(item.t, item.line);
        break;
      case 'iter':
        p.iter(item.program, item.t, item.text);
        break;
      case 'maps':
        p.maps(item.t, item.final, item.maps, item.symbols);
        break;
      case 'end':
        break;
    }
  }
  sink.err(p.summary());
}
