/**
 * The text of a generated skeleton module (`tsbpf gen skeleton`) and of a types-only module
 * (`tsbpf gen types`).
 *
 * The module stays thin: type declarations, a {@link SkeletonLayout} literal, the object
 * (base64, or a path) and two functions that hand both to the runtime's `openSkeleton`.
 * Everything that loads, reads or decodes is tsbpf's own code, shared by every skeleton, so a
 * skeleton never needs regenerating for a tsbpf bug fix, only when its object changes (and
 * then `openSkeleton` says so).
 *
 * The shape follows bpftool's C skeleton, in TypeScript:
 * ```ts
 * import { open } from './execsnoop.skel.js';
 * const skel = open();                     // execsnoop_bpf__open(): parse, nothing in the kernel
 * skel.rodata.target_pid = process.pid;    // skel->rodata->target_pid = ... (before load)
 * using live = skel.load();                // execsnoop_bpf__load()
 * live.attach();                           // execsnoop_bpf__attach()
 * for await (const e of live.events.events) console.log(e.pid, e.comm);  // typed records
 * ```                                      // `using`: execsnoop_bpf__destroy()
 * @module
 */
import type { ObjectSpec } from '../../object/index.js';
import { encodeBase64 } from './base64.js';
import { commentSafe, NameAllocator, pascalCase, propertyKey } from './naming.js';
import { planSkeleton, type PlannedType, type PlanOptions, type SkeletonPlan } from './plan.js';
import { TsTypeEmitter } from './ts-types.js';

/** Options of {@link generateSkeleton} and {@link generateTypes}. */
export interface GenerateSkeletonOptions extends PlanOptions {
  /** Prefix of the generated type names (`GenSkeletonRodata`); default the object's name. */
  name?: string;
  /**
   * Where the generated module gets the object: embedded (`{ embed: bytes }`, the default
   * when `bytes` is given to {@link generateSkeleton}) or read at open from `path`, which
   * a relative path resolves against the generated module's own URL.
   */
  object?:
    | {
        /** The object's bytes, embedded in the module as base64. */
        embed: Uint8Array;
      }
    | {
        /** Where the generated module reads the object at `open()`. */
        path: string;
      };
  /** Module the runtime is imported from (default `'tsbpf'`). */
  importFrom?: string;
  /** The command line, for the header comment (`tsbpf gen skeleton x.bpf.o`). */
  command?: string;
}

/** The names the generated module declares for the skeleton itself. */
interface OwnNames {
  prefix: string;
  types: string;
  open: string;
  loaded: string;
  sections: Record<string, string>;
}

/**
 * The TypeScript source of a skeleton for `spec`, whose object bytes are `options.object`.
 * The text passes `tsc --strict` (with `noUncheckedIndexedAccess`) and imports only
 * `options.importFrom`.
 * @throws {@link SkeletonError} for `events` options naming a missing map or type.
 */
export function generateSkeleton(spec: ObjectSpec, options: GenerateSkeletonOptions): string {
  const plan = planSkeleton(spec, options);
  const { names, own } = ownNames(plan, options.name ?? spec.name);
  const emitter = new TsTypeEmitter(names);
  const typesBlock = typesInterface(plan, own, emitter);
  const sectionDecls = sectionInterfaces(spec, plan, own, emitter);
  const from = options.importFrom ?? 'tsbpf';
  const out: string[] = [];
  out.push(header('skeleton', spec, options));
  out.push(
    `import { openSkeleton, type LoadedSkeleton, type OpenSkeleton, type SkeletonLayout, type SkeletonLoadOptions, type SkeletonOpenOptions } from ${JSON.stringify(from)};`,
  );
  out.push(...emitter.declarations(), ...sectionDecls, typesBlock);
  const obj = commentSafe(spec.name);
  out.push(`/** \`${obj}\` opened: set \`.rodata\` (and initial \`.data\`/\`.bss\`) values, then \`load()\`. */\nexport type ${own.open} = OpenSkeleton<${own.types}>;`);
  out.push(`/** \`${obj}\` loaded: typed programs, maps, variables and events; close it (or \`using\`). */\nexport type ${own.loaded} = LoadedSkeleton<${own.types}>;`);
  out.push(`const layout: SkeletonLayout = ${layoutText(plan)};`);
  out.push(objectSource(options.object));
  out.push(
    [
      `/**`,
      ` * Parses the object (bpftool's \`__open\`): nothing is created in the kernel yet. Set`,
      ` * constants on the result, then call \`load()\`.`,
      ` * @throws \`SkeletonError\` when the object no longer matches this skeleton (regenerate it)`,
      ` */`,
      `export function open(options: SkeletonOpenOptions = {}): ${own.open} {`,
      `  return openSkeleton<${own.types}>(object, layout, options);`,
      `}`,
      ``,
      `/** \`open()\` then \`load()\` (bpftool's \`__open_and_load\`). The caller owns the result. */`,
      `export function openAndLoad(options: SkeletonLoadOptions = {}): ${own.loaded} {`,
      `  return open().load(options);`,
      `}`,
    ].join('\n'),
  );
  return out.join('\n\n') + '\n';
}

/**
 * The TypeScript types of `spec` alone (`tsbpf gen types`): an interface per C struct or
 * union used by a map, a data section or an event map, a type (and `const` of names) per
 * enum, and an interface per data section. No imports, no runtime code.
 */
export function generateTypes(spec: ObjectSpec, options: Omit<GenerateSkeletonOptions, 'object' | 'importFrom'> = {}): string {
  const plan = planSkeleton(spec, options);
  const { names, own } = ownNames(plan, options.name ?? spec.name);
  const emitter = new TsTypeEmitter(names);
  for (const m of Object.values(plan.maps)) {
    if (m.key) emitter.typeOf(m.key.layout);
    if (m.value) emitter.typeOf(m.value.layout);
  }
  for (const t of Object.values(plan.events)) if (t) emitter.typeOf(t.layout);
  const sectionDecls = sectionInterfaces(spec, plan, own, emitter);
  return [header('types', spec, options), ...emitter.declarations(), ...sectionDecls].join('\n\n') + '\n';
}

function header(what: 'skeleton' | 'types', spec: ObjectSpec, options: GenerateSkeletonOptions): string {
  const name = commentSafe(spec.name);
  const cmd = options.command ?? `tsbpf gen ${what}`;
  const lines = [
    `// Code generated by \`${commentSafe(cmd)}\`. DO NOT EDIT.`,
    `/**`,
    what === 'skeleton'
      ? ` * Typed skeleton of BPF object \`${name}\`: \`open()\`, set \`.rodata\`, \`load()\`, \`attach()\`, read typed maps, variables and events.`
      : ` * TypeScript types of BPF object \`${name}\`, from its BTF (as tsbpf decodes them).`,
    ` * @module`,
    ` */`,
  ];
  return lines.join('\n');
}

/** What a skeleton module imports: no generated type may take these names. */
const IMPORTED = ['openSkeleton', 'LoadedSkeleton', 'OpenSkeleton', 'SkeletonLayout', 'SkeletonLoadOptions', 'SkeletonOpenOptions'];

function ownNames(plan: SkeletonPlan, name: string): { names: NameAllocator; own: OwnNames } {
  const names = new NameAllocator();
  for (const n of [...IMPORTED, 'open', 'openAndLoad', 'layout', 'object']) names.reserve(n);
  const prefix = pascalCase(name);
  const own: OwnNames = { prefix, types: names.take(`${prefix}Types`), open: names.take(prefix), loaded: names.take(`${prefix}Loaded`), sections: {} };
  for (const prop of Object.keys(plan.sections)) own.sections[prop] = names.take(`${prefix}${pascalCase(prop)}`);
  return { names, own };
}

/** One interface per data section: its variables with their types. */
function sectionInterfaces(spec: ObjectSpec, plan: SkeletonPlan, own: OwnNames, emitter: TsTypeEmitter): string[] {
  const out: string[] = [];
  for (const [prop, vars] of Object.entries(plan.sections)) {
    const section = commentSafe(plan.layout.sections[prop]!.section);
    const obj = commentSafe(spec.name);
    const ro = section.startsWith('.rodata');
    const lines = Object.entries(vars).map(([v, t]) => `  ${propertyKey(v)}: ${typeText(t, emitter, 1)}; // ${t ? commentSafe(t.ref.name) : 'no BTF value type: bytes'}`);
    const doc = ro
      ? `/** \`${section}\` of \`${obj}\`: constants, writable before load, read-only after (\`const volatile\` in C). */`
      : `/** \`${section}\` of \`${obj}\`: initial values before load, live (shared with the programs) after. */`;
    out.push(`${doc}\nexport interface ${own.sections[prop]} {\n${lines.join('\n')}\n}`);
  }
  return out;
}

function typeText(t: PlannedType | undefined, emitter: TsTypeEmitter, depth = 0): string {
  return t ? emitter.typeOf(t.layout, depth) : 'Uint8Array';
}

/** The `<Name>Types` interface the runtime's generic types are instantiated with. */
function typesInterface(plan: SkeletonPlan, own: OwnNames, emitter: TsTypeEmitter): string {
  const block = (entries: string[]) => (entries.length ? `{\n${entries.join('\n')}\n  }` : '{}');
  const programs = Object.entries(plan.layout.programs).map(([name, p]) => {
    const kind = plan.attachKinds[name];
    return `    ${propertyKey(name)}: { section: ${JSON.stringify(p.section)}; attachKind: ${kind === undefined ? 'null' : JSON.stringify(kind)} };`;
  });
  // Types first (declaring named ones in order), then the block that uses them.
  const maps = Object.entries(plan.maps).map(([prop, m]) => `    ${propertyKey(prop)}: { key: ${typeText(m.key, emitter, 3)}; value: ${typeText(m.value, emitter, 3)} };`);
  const sections = Object.keys(plan.sections).map((prop) => `    ${propertyKey(prop)}: ${own.sections[prop]};`);
  const events = Object.entries(plan.events).map(([name, t]) => `    ${propertyKey(name)}: ${typeText(t, emitter, 3)};`);
  return [
    `/** What each part of the skeleton is, for \`OpenSkeleton\` and \`LoadedSkeleton\`. */`,
    `export interface ${own.types} {`,
    `  programs: ${block(programs)};`,
    `  maps: ${block(maps)};`,
    `  sections: ${block(sections)};`,
    `  events: ${block(events)};`,
    `}`,
  ].join('\n');
}

/** The layout as an object literal: indented JSON, innermost objects (type references...) on one line. */
function layoutText(plan: SkeletonPlan): string {
  // JSON strings hold no raw newline, so a `{ ... }` run without newlines-in-braces is innermost.
  return JSON.stringify(plan.layout, null, 2).replace(/\{\n\s*([^{}\n]*(?:,\n\s*[^{}\n]*)*)\n\s*\}/g, (_m, body: string) => `{ ${body.replace(/,\n\s*/g, ', ')} }`);
}

/** The `object` constant: base64 text in chunks, or a path. */
function objectSource(object: GenerateSkeletonOptions['object']): string {
  if (!object) throw new TypeError("generateSkeleton needs 'object' (embed or path)");
  if ('path' in object) {
    const p = object.path;
    const rel = !p.startsWith('/');
    const expr = rel ? `new URL(${JSON.stringify(p.startsWith('.') ? p : `./${p}`)}, import.meta.url)` : JSON.stringify(p);
    return `/** The object, read when \`open()\` is called${rel ? ' (relative to this module)' : ''}. */\nconst object = { path: ${expr} };`;
  }
  const b64 = encodeBase64(object.embed);
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += 100) chunks.push(`  '${b64.slice(i, i + 100)}',`);
  return `/** The object (${object.embed.length} bytes), embedded as base64. */\nconst object = {\n  base64: [\n${chunks.map((c) => '  ' + c).join('\n')}\n  ].join(''),\n};`;
}
