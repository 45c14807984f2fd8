import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeChecksums } from '../../../../scripts/package/checksums.js';

describe('SHA256SUMS of the release folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sums-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every file, sorted, in the format sha256sum -c checks, and catches a changed file', async () => {
    writeFileSync(join(dir, 'b.msi'), 'windows');
    writeFileSync(join(dir, 'a.tgz'), 'npm');
    writeFileSync(join(dir, 'SHA256SUMS'), 'stale');
    await writeChecksums(dir);
    const lines = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split('  ')[1])).toEqual(['a.tgz', 'b.msi']);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' })).toContain('b.msi: OK');
    writeFileSync(join(dir, 'b.msi'), 'changed');
    expect(() => execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, stdio: 'pipe' })).toThrow();
  });
});
