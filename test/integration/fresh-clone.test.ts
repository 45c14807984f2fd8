import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A fresh clone of the committed tree, alone in an empty temporary folder under the system's
 * temporary directory (whose parents are not all root's alone), passes the unit tests, the
 * reference-data ones (test vectors, real HPKI certificates, PKITS) among them, and leaves its
 * tracked files as they were. Lean: the clone borrows this checkout's node_modules instead of
 * installing them, and runs test/unit only (no daemons, no browsers).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isGitCheckout = spawnSync('git', ['-C', ROOT, 'rev-parse', '--is-inside-work-tree'], {
  encoding: 'utf8',
}).stdout.startsWith('true');
if (!isGitCheckout) console.warn('fresh-clone.test.ts: not a git checkout: skipped');

const parent = mkdtempSync(join(tmpdir(), 'hpki-fresh-clone-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function git(cwd: string, args: string[]): string {
  const run = spawnSync('git', ['-C', cwd, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** The child's environment without the outer run's vitest variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_ENV' && key !== 'TEST') env[key] = value;
  }
  return env;
}

function runUnitTests(clone: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(clone, 'node_modules/vitest/vitest.mjs'), 'run', 'test/unit'], {
    cwd: clone,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe.skipIf(!isGitCheckout)('a fresh clone with nothing beside it', () => {
  it('passes the unit and reference-data tests and changes no tracked file', { timeout: 900_000 }, async () => {
    const clone = join(parent, 'hpki-login');
    git(parent, ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
    expect(readdirSync(parent)).toEqual(['hpki-login']);
    expect(existsSync(join(clone, 'test/fixtures/pkits/cases.json'))).toBe(true);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));

    const { code, output } = await runUnitTests(clone);
    const summary = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(output);
    expect(summary, output.slice(-4000)).not.toBeNull();
    expect(code, output.slice(-4000)).toBe(0);
    expect(Number(summary?.[2]), output.slice(-4000)).toBe(0);
    expect(Number(summary?.[1])).toBeGreaterThan(500);
    // The symlink to node_modules is the only new entry; no tracked file changed.
    expect(git(clone, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
  });
});
