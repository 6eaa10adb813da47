/**
 * Replays every input the fuzzer saved under `test/fixtures/fuzz/<parser>/` (an escape, a slow
 * input, a hang or an out-of-memory, with a `.json` naming its context and the original
 * error). Each must now be accepted or rejected with a TsbpfError. A hang shows up as this
 * test's timeout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regressionsDir, runOne, savedFindings } from './campaign.js';
import { PARSERS, TARGETS } from './targets.js';

const saved = savedFindings();

describe('fuzz regressions', () => {
  it('every saved input has its record, under a known parser', () => {
    if (!existsSync(regressionsDir)) return;
    for (const parser of readdirSync(regressionsDir)) {
      expect(PARSERS as readonly string[]).toContain(parser);
      const files = readdirSync(join(regressionsDir, parser));
      for (const f of files.filter((n) => n.endsWith('.bin'))) expect(files, parser).toContain(f.replace(/\.bin$/, '.json'));
    }
  });

  for (const { finding, input, path } of saved) {
    it(`${finding.parser}/${finding.file} (${finding.kind}: ${finding.error.slice(0, 80)})`, () => {
      const r = runOne(TARGETS[finding.parser], input);
      expect(r.error, `${path}\n${r.error instanceof Error ? r.error.stack : ''}`).toBeUndefined();
      expect(['accepted', 'rejected']).toContain(r.outcome);
    }, 20_000);
  }
});
