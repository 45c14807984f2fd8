import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, startNativeHost } from '../../scripts/dev/native-client.js';

/**
 * The koffi binding when the PC/SC service cannot be reached, without stopping anybody's pcscd:
 * pcsc-lite's client library reads its socket path from PCSCLITE_CSOCK_NAME, pointed here at a path
 * where no service listens. The host starts, says hello, answers each command with
 * ERR_HPKI_NO_READER naming pcscd, and a wait for a card ends at once with the same code.
 */

const NOWHERE = { ...process.env, PCSCLITE_CSOCK_NAME: '/nonexistent/hpki-login-test/pcscd.comm' };

describe('hpki-login host --backend pcsc, with no PC/SC service', () => {
  it('answers ERR_HPKI_NO_READER naming pcscd for status, get-certificate and a find-cards wait', async () => {
    const host = startNativeHost(process.execPath, [CLI, 'host', '--backend', 'pcsc'], NOWHERE);
    expect(await host.hello).toMatchObject({ hello: { backend: 'pcsc' } });
    for (const command of ['status', 'get-certificate']) {
      expect(await host.request({ id: command, command })).toEqual({
        id: command,
        error: { code: 'ERR_HPKI_NO_READER', message: expect.stringContaining('pcscd') },
      });
    }
    const started = Date.now();
    const waited = await host.request({ id: 'f', command: 'find-cards', params: { waitMs: 30_000 } });
    const answer = 'event' in waited ? await host.next() : waited;
    expect(answer).toMatchObject({ id: 'f', error: { code: 'ERR_HPKI_NO_READER' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await host.close()).toBe(0);
  });

  it('doctor says the service is unreachable, and exits 1', async () => {
    const run = promisify(execFile);
    const failed = await run(process.execPath, [CLI, 'doctor', '--json', '--os', 'darwin'], { env: NOWHERE }).catch(
      (err: { code?: number; stdout?: string }) => err,
    );
    expect(failed).toMatchObject({ code: 1 });
    const findings = JSON.parse((failed as { stdout: string }).stdout) as { findings?: unknown[] } | unknown[];
    expect(JSON.stringify(findings)).toContain('ERR_HPKI_NO_READER');
  });
});
