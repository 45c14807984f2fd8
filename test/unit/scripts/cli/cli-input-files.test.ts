import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../../scripts/cli/main.js';
import { readClientsFile } from '../../../../scripts/cli/sso-command.js';
import { readInputFile, UsageError } from '../../../../scripts/cli/verify-cert-command.js';
import { sharedPath } from '../../../helpers/shared.js';

/**
 * The size bound of every CLI input file holds while reading: a pipe or a device reports size 0,
 * and is read only up to one byte past the bound, then refused like an oversized regular file.
 */

const dir = mkdtempSync(join(tmpdir(), 'hpki-cli-input-'));
const writers: ChildProcess[] = [];
afterAll(() => {
  for (const writer of writers) if (writer.exitCode === null && writer.signalCode === null) writer.kill();
  rmSync(dir, { recursive: true, force: true });
});

let fifos = 0;
/** A named pipe a child process fills with `bytes` zero bytes once a reader opens it. */
function pipeOf(bytes: number): string {
  const path = join(dir, `pipe-${++fifos}`);
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', `head -c ${bytes} /dev/zero > "$0"`, path], { stdio: 'ignore' });
  writers.push(writer);
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<UsageError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('readInputFile', () => {
  it('refuses a pipe that brings more than the bound, without reading it all', async () => {
    const path = pipeOf(3_000_000);
    const err = await refusal(readInputFile(path, 1000));
    expect(err.message).toBe(`${path} is larger than 1000 bytes`);
    expect(err.ja).toBe(`${path} が 1000 バイトを超えています`);
  });

  it('reads a pipe within the bound whole', async () => {
    const bytes = await readInputFile(pipeOf(2500), 2500);
    expect(bytes).toEqual(new Uint8Array(2500));
  });

  it('refuses a regular file over the bound, reads one at the bound', async () => {
    const path = join(dir, 'exact.bin');
    writeFileSync(path, new Uint8Array(100).fill(7));
    expect((await refusal(readInputFile(path, 99))).message).toBe(`${path} is larger than 99 bytes`);
    expect(await readInputFile(path, 100)).toEqual(new Uint8Array(100).fill(7));
  });

  it('a missing file or a folder cannot be read', async () => {
    const missing = join(dir, 'none.pem');
    expect((await refusal(readInputFile(missing, 100))).message).toBe(`cannot read ${missing}`);
    expect((await refusal(readInputFile(dir, 100))).message).toBe(`cannot read ${dir}`);
  });

  it('sso --clients has the same bound', async () => {
    const path = pipeOf(3_000_000);
    const err = await refusal(readClientsFile(path));
    expect(err.message).toBe(`--clients: ${path} is larger than 1048576 bytes`);
  });
});

describe('verify-cert with a pipe for CERT', () => {
  it('exits 2 with the too-large usage error', async () => {
    const path = pipeOf(3_000_000);
    let stdout = '';
    let stderr = '';
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stdout += String(chunk);
        return true;
      }),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stderr += String(chunk);
        return true;
      }),
    ];
    let code: number;
    try {
      code = await main(['verify-cert', path, '--anchor', sharedPath('test-vectors', 'root.pem')]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${path} is larger than 1048576 bytes`);
  });
});
