import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../helpers/repo-root.js';

/**
 * The committed sample 紹介状 is what its script makes: the same Chromium prints the same bytes again;
 * another Chromium version (another /Creator) may lay it out differently, but with the same text.
 */

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'referral-letter-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/dev/referral-letter-sample.mjs', () => {
  it('reproduces server/demo/sample-documents/referral-letter-sample.pdf byte for byte', async () => {
    const out = join(dir, 'again.pdf');
    await run(process.execPath, [join(REPO_ROOT, 'scripts/dev/referral-letter-sample.mjs'), out]);
    const committed = readFileSync(join(REPO_ROOT, 'server/demo/sample-documents/referral-letter-sample.pdf'));
    const again = readFileSync(out);
    const creator = (pdf: Buffer) => /\/Creator \(([^)]*)/.exec(pdf.toString('latin1'))?.[1];
    if (creator(again) === creator(committed)) expect(again.equals(committed)).toBe(true);
    else {
      const text = async (file: string) => (await run('pdftotext', [file, '-'])).stdout;
      expect(await text(out)).toBe(
        await text(join(REPO_ROOT, 'server/demo/sample-documents/referral-letter-sample.pdf')),
      );
    }
  }, 120_000);
});
