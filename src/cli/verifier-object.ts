/**
 * `--object OBJ`: what an object file adds to a verifier log captured elsewhere.
 *
 * A log from bpftool or libbpf counts instructions in the program as libbpf loaded it: the
 * program, then its subprograms appended depth first. `parseObject` links programs the same
 * way, so the object's `.BTF.ext` line_info, counted in that layout, maps every index of the
 * log to its C file, line and column, also inside subprograms and for instructions the
 * kernel printed no source comment for. The object also names what poisoned instructions
 * only number (an unresolved kfunc, a map that was not created).
 * @module
 */
import { insnLineInfo, loaderSymbols } from '../collection/debug-info.js';
import { TsbpfError } from '../errors.js';
import { objectNameFromPath, parseObject, type ObjectSpec } from '../object/index.js';
import type { ExplainOptions } from '../verifier-log/index.js';
import { readInputFile } from './files.js';

/** Parses the object named by `--object`. */
export function readObjectForLog(path: string): ObjectSpec {
  return parseObject(readInputFile(path), { name: objectNameFromPath(path) });
}

/**
 * line_info and symbols of the program a log belongs to: `name` (from `--prog`, or the
 * program libbpf's framing names), else the object's only program.
 * @param logCount how many logs the input held (with several, each must name its program)
 * @throws TsbpfError when the program cannot be told or is not in the object
 */
export function objectExplainOptions(spec: ObjectSpec, name: string | undefined, logCount = 1): Pick<ExplainOptions, 'lineInfo' | 'symbols'> {
  const names = [...spec.programs.keys()];
  let program = name !== undefined ? spec.programs.get(name) : undefined;
  if (name !== undefined && !program) {
    throw new TsbpfError(`no program '${name}' in object '${spec.name}' (it has ${names.map((n) => `'${n}'`).join(', ') || 'none'})`);
  }
  if (!program) {
    if (names.length !== 1 || logCount > 1) {
      throw new TsbpfError(`object '${spec.name}' has ${names.length} programs: say which one the log is of with '--prog NAME' (${names.map((n) => `'${n}'`).join(', ')})`);
    }
    program = spec.programs.get(names[0]!)!;
  }
  return { lineInfo: insnLineInfo(program.instructions), symbols: loaderSymbols(spec, program.instructions) };
}
