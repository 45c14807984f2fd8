import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Mozilla's own linter on the built Firefox extensions (both flavours): no errors allowed. */

const run = promisify(execFile);
const WEB_EXT = fileURLToPath(new URL('../../node_modules/.bin/web-ext', import.meta.url));

interface LintReport {
  summary: { errors: number; warnings: number; notices: number };
  errors: { code: string; message: string; file?: string }[];
}

async function lint(dir: string): Promise<LintReport> {
  const sourceDir = fileURLToPath(new URL(`../../${dir}`, import.meta.url));
  // web-ext exits non-zero when it finds errors; the JSON report is on stdout either way.
  const { stdout } = await run(
    WEB_EXT,
    ['lint', '--source-dir', sourceDir, '--output', 'json', '--no-config-discovery'],
    {
      maxBuffer: 8 * 1024 * 1024,
    },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return JSON.parse(stdout) as LintReport;
}

describe('web-ext lint', () => {
  it.each(['dist/extension/firefox', 'dist/extension-store/firefox'])(
    '%s has 0 errors',
    async (dir) => {
      const report = await lint(dir);
      expect(report.errors).toEqual([]);
      expect(report.summary.errors).toBe(0);
    },
    60_000,
  );
});
