import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { placeholders, TEXTS, text } from '../../../../native-host/doctor/texts.js';
import { REPO_ROOT } from '../../../helpers/repo-root.js';

/** The doctor's texts table: complete in both languages, and exactly the ids the checks use. */

const ROOT = REPO_ROOT;
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
const entries = Object.entries(TEXTS);
const sorted = (xs: string[]): string[] => [...new Set(xs)].sort();

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every source file that imports the table, with its text. */
const users = [...tsFiles('native-host'), ...tsFiles('scripts')]
  .filter((f) => !f.endsWith('/texts.ts'))
  .map((file) => ({ file, source: readFileSync(join(ROOT, file), 'utf8') }))
  .filter((u) => /from '[^']*\/texts\.js'/.test(u.source));

describe("the doctor's texts", () => {
  it('every entry has a Japanese and an English text, and they differ', () => {
    for (const [id, t] of entries) {
      expect(t.ja.trim(), id).not.toBe('');
      expect(t.en.trim(), id).not.toBe('');
      expect(t.ja, id).toMatch(JAPANESE);
      expect(t.ja, id).not.toBe(t.en);
    }
  });

  it('Japanese and English use the same placeholders', () => {
    for (const [id, t] of entries) expect(sorted(placeholders(t.ja)), id).toEqual(sorted(placeholders(t.en)));
  });

  it('fills every placeholder, repeated ones too, and fails loudly on a missing parameter', () => {
    expect(text('card.my-number', { reader: 'R1' })).toEqual({
      ja: 'R1 のカードはマイナンバーカードです。HPKI カードではありません。',
      en: 'The card in R1 is a My Number card, not an HPKI card.',
    });
    expect(text('fix.install-host-for-browser', { browser: 'chromium' }).en).toBe(
      'If you use chromium: hpki-login install-host --browser chromium',
    );
    expect(text('pin.ok', { left: 0, max: 15 }).en).toBe('PIN tries left: 0/15');
    // @ts-expect-error: the compiler asks for {reader}; at run time its absence throws.
    expect(() => text('card.hpki')).toThrow("doctor text 'card.hpki' needs the parameter {reader}");
    // @ts-expect-error: {max} is missing.
    expect(() => text('pin.ok', { left: 3 })).toThrow('{max}');
  });

  it('the ids the checks use are exactly the table, and each message is its finding id (or a variant of it)', () => {
    expect(users.map((u) => u.file).sort()).toEqual(
      expect.arrayContaining([
        'native-host/doctor/card-checks.ts',
        'native-host/doctor/report.ts',
        'native-host/doctor/runtime-checks.ts',
        'scripts/install/install-checks.ts',
      ]),
    );
    const used = new Set<string>();
    for (const { file, source } of users) {
      // Only literal ids, so that this test sees every one.
      expect(source.match(/\btext\(\s*[^'\s]/g), `${file}: text() with a computed id`).toBeNull();
      for (const m of source.matchAll(/\btext\(\s*'([^']+)'/g)) used.add(m[1] ?? '');
      for (const m of source.matchAll(/\bfinding\(\s*'([^']+)'\s*,\s*'[a-z]+'\s*,\s*text\(\s*'([^']+)'/g)) {
        const [, findingId = '', messageId = ''] = m;
        expect(
          messageId === findingId || messageId.startsWith(`${findingId}.`),
          `${file}: ${findingId} says ${messageId}`,
        ).toBe(true);
      }
    }
    expect(sorted([...used])).toEqual(sorted(Object.keys(TEXTS)));
  });
});
