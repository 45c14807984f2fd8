import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPcscBackend } from '../../native-host/backends/pcsc/backend.js';
import type { Finding } from '../../native-host/doctor/findings.js';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { createCardFile, createVirtualCard, serveOverVpcd } from '../../native-host/virtual-card/index.js';
import type { DoctorOptions } from '../../scripts/cli/doctor-command.js';
import { collectFindings, run } from '../../scripts/cli/doctor-command.js';
import type { PcscdHandle } from '../../scripts/dev/pcscd.js';
import { startPcscd, VPCD_READER, withoutPcscd } from '../../scripts/dev/pcscd.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * `hpki-login doctor` against a real pcscd with the vpcd driver and the virtual card: each
 * situation a user can be in is produced for real and must give its finding.
 */

const hasPcscd = systemToolsPresent('doctor-pcsc.test.ts', ['/usr/sbin/pcscd']);
let work: string;
const cards: Record<'doctor' | 'myNumber' | 'expired', string> = { doctor: '', myNumber: '', expired: '' };

function options(): DoctorOptions {
  return {
    backend: 'pcsc',
    modules: [],
    os: 'linux',
    home: join(work, 'home'),
    browsers: ['chromium'],
    now: new Date(),
  };
}
const ids = (fs: Finding[]): string[] => fs.map((f) => `${f.severity}:${f.id}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'doctor-pcsc-'));
  const pki = await loadOrCreateMockPki(join(work, 'pki'));
  cards.doctor = join(work, 'doctor.card');
  cards.myNumber = join(work, 'mynumber.card');
  cards.expired = join(work, 'expired.card');
  await createCardFile(cards.doctor, {
    pki,
    name: 'Yamada Hanako',
    nameJa: '山田　花子',
    role: 'Medical Doctor',
    pin: '1234',
  });
  await createCardFile(cards.myNumber, { pki, name: 'x', role: 'x', pin: '1234', kind: 'jpki' });
  await createCardFile(cards.expired, { pki, name: 'Old Doctor', role: 'Medical Doctor', pin: '1234', expired: true });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasPcscd)('doctor over a real pcscd', () => {
  it('no pcscd: one error saying so, and no reader noise', async () => {
    const findings = await withoutPcscd(() => collectFindings(options()));
    expect(ids(findings)).toContain('error:pcscd.not-running');
    expect(findings.some((f) => f.id.startsWith('readers.') || f.id.startsWith('card.'))).toBe(false);
  }, 120_000);

  it('no reader: pcscd without any reader driver', async () => {
    const pcscd = await startPcscd({ vpcd: false });
    const findings = await collectFindings(options()).finally(() => pcscd.stop());
    expect(ids(findings).slice(0, 2)).toEqual(['ok:pcscd.running', 'error:readers.none']);
  }, 120_000);

  describe('with the vpcd reader', () => {
    async function cardPresent(present: boolean): Promise<void> {
      const backend = createPcscBackend();
      let last: unknown;
      for (let i = 0; i < 100; i++) {
        last = await backend.listReaders().catch((err: unknown) => String(err));
        if (
          Array.isArray(last) &&
          last.some((r: { name: string; cardPresent: boolean }) => r.name === VPCD_READER && r.cardPresent === present)
        )
          return;
        await sleep(100);
      }
      throw new Error(`the virtual card did not become ${present ? 'present' : 'absent'}: ${JSON.stringify(last)}`);
    }

    /**
     * A fresh pcscd per situation: vpcd was seen to miss a card inserted right after another one
     * was pulled on the same pcscd, which would make these tests depend on their order.
     */
    async function withPcscd<T>(card: string | undefined, fn: () => Promise<T>): Promise<T> {
      const pcscd: PcscdHandle = await startPcscd();
      try {
        if (card === undefined) return await fn();
        const service = serveOverVpcd(createVirtualCard({ path: card }), { port: pcscd.vpcdPort });
        try {
          await service.connected;
          await cardPresent(true);
          return await fn();
        } finally {
          await service.stop();
        }
      } finally {
        await pcscd.stop();
      }
    }
    const withCard = <T>(card: string, fn: () => Promise<T>): Promise<T> => withPcscd(card, fn);

    it('no card: a warning that says to insert it', { timeout: 330_000 }, async () => {
      const findings = await withPcscd(undefined, () => collectFindings(options()));
      expect(ids(findings).slice(0, 3)).toEqual(['ok:pcscd.running', 'ok:readers.found', 'warning:card.none']);
    });

    it('a My Number card is named as such', { timeout: 330_000 }, async () => {
      const findings = await withCard(cards.myNumber, () => collectFindings(options()));
      expect(ids(findings)).toContain('error:card.my-number');
    });

    it('an expired certificate is an error with the date', { timeout: 330_000 }, async () => {
      const findings = await withCard(cards.expired, () => collectFindings(options()));
      const expired = findings.find((f) => f.id === 'certificate.expired');
      expect(expired?.severity).toBe('error');
      expect(expired?.message.en).toMatch(/Old Doctor, Medical Doctor\) expired on \d{4}-\d\d-\d\d/);
    });

    it('a good card: holder, validity and PIN counter; --json exits 1 only because no host is installed', {
      timeout: 330_000,
    }, async () => {
      const chunks: string[] = [];
      const { findings, code } = await withCard(cards.doctor, async () => {
        const direct = await collectFindings(options());
        const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
          chunks.push(String(c));
          return true;
        });
        try {
          return {
            findings: direct,
            code: await run(['--json', '--home', join(work, 'home'), '--browser', 'chromium']),
          };
        } finally {
          spy.mockRestore();
        }
      });
      expect(ids(findings).slice(0, 6)).toEqual([
        'ok:pcscd.running',
        'ok:readers.found',
        'ok:card.hpki',
        'ok:certificate.valid',
        'ok:pin.ok',
        'info:manifest.missing',
      ]);
      expect(findings.find((f) => f.id === 'certificate.valid')?.message.ja).toContain('山田　花子');
      const report = JSON.parse(chunks.join('')) as { ok: boolean; findings: Finding[] };
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.id)).toEqual(['manifest.none']);
      expect(report.findings.map((f) => f.id)).toContain('certificate.valid');
    });
  });
});
