import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHost } from '../../scripts/dev/native-client.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';

// `find-cards` and its `waiting-for-card` event through the real host process, with the in-process
// virtual card (the pcscd + vpcd paths are in the end-to-end tests).

describe('host: find-cards', () => {
  let dir: string;
  let doctor: string;
  let myNumber: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hpki-find-cards-'));
    doctor = join(dir, 'doctor.card');
    myNumber = join(dir, 'jpki.card');
    await createCardFile(doctor, join(dir, 'pki'), ['--pin', '1234']);
    await createCardFile(myNumber, join(dir, 'pki'), ['--kind', 'jpki']);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the one HPKI card as get-certificate does', async () => {
    const host = startCliHost(['--backend', 'mock', '--card', doctor]);
    const answer = await host.request({ id: 1, command: 'find-cards', params: { waitMs: 0 } });
    const got = await host.request({ id: 2, command: 'get-certificate' });
    await host.close();
    expect(answer).toEqual({ id: 1, result: { cards: [got.result], others: [] } });
  });

  it('names a My Number card among the others', async () => {
    const host = startCliHost(['--backend', 'mock', '--card', myNumber]);
    const answer = await host.request({ id: 1, command: 'find-cards' });
    await host.close();
    expect(answer).toMatchObject({ id: 1, result: { cards: [], others: [{ cardType: 'jpki' }] } });
  });

  it('with no card: says it waits, then answers when the card comes', async () => {
    const later = join(dir, 'later.card');
    const host = startCliHost(['--backend', 'mock', '--card', later]);
    const first = await host.request({ id: 'f', command: 'find-cards', params: { waitMs: 20_000 } });
    expect(first).toEqual({ id: 'f', event: { type: 'waiting-for-card' } });
    copyFileSync(doctor, later);
    const answer = await host.next();
    await host.close();
    expect(answer).toMatchObject({ id: 'f', result: { cards: [{ cardType: 'hpki' }] } });
  });

  it('without waiting, no card is ERR_HPKI_NO_CARD', async () => {
    const host = startCliHost(['--backend', 'mock', '--card', join(dir, 'none.card')]);
    const answer = await host.request({ id: 1, command: 'find-cards' });
    await host.close();
    expect(answer).toMatchObject({ id: 1, error: { code: 'ERR_HPKI_NO_CARD' } });
  });
});
