import { describe, expect, it } from 'vitest';
import { startCliHost } from '../../scripts/dev/native-client.js';
import { withoutPcscd } from '../../scripts/dev/pcscd.js';

/**
 * With no PC/SC service where the host looks (PCSCLITE_CSOCK_NAME on a socket where nothing listens, the
 * machine's pcscd left running), the host still starts, says hello, and says clearly what is wrong.
 */

describe('hpki-login host --backend pcsc without pcscd', () => {
  it('answers ERR_HPKI_NO_READER naming pcscd, for status and get-certificate', async () => {
    await withoutPcscd(async () => {
      const host = startCliHost(['--backend', 'pcsc']);
      expect(await host.hello).toMatchObject({ hello: { backend: 'pcsc' } });
      for (const command of ['status', 'get-certificate']) {
        const answer = await host.request({ id: command, command });
        expect(answer).toEqual({
          id: command,
          error: { code: 'ERR_HPKI_NO_READER', message: expect.stringContaining('pcscd') },
        });
      }
      expect(await host.close()).toBe(0);
    });
  });
});
