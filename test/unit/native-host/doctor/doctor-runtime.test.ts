import { describe, expect, it } from 'vitest';
import { checkRuntime } from '../../../../native-host/doctor/runtime-checks.js';

describe("doctor's runtime check", () => {
  const now = new Date('2026-12-01T00:00:00Z');

  it('names a supported runtime, its path and until when it is supported', () => {
    const [f] = checkRuntime({ version: '24.22.3', path: '/usr/lib/hpki-login/node' }, now);
    expect(f).toMatchObject({ id: 'runtime.supported', severity: 'ok' });
    expect(f?.message.en).toContain('Node.js 24.22.3 (/usr/lib/hpki-login/node)');
    expect(f?.message.en).toContain('2028-04-30');
  });

  it('warns, in Japanese and English, on an end-of-life runtime (Node 20 since 2026-04-30)', () => {
    const [f] = checkRuntime({ version: '20.20.2', path: '/usr/bin/node' }, now);
    expect(f).toMatchObject({ id: 'runtime.end-of-life', severity: 'warning' });
    expect(f?.message.ja).toContain('サポートが終了');
    expect(f?.message.en).toContain('end-of-life (2026-04-30)');
    expect(f?.fix?.en).toContain('Node.js 24');
  });

  it('takes the day of end-of-life as ended, the day before as supported', () => {
    expect(checkRuntime({ version: '22.1.0', path: 'n' }, new Date('2027-04-29T23:59:59Z'))[0]?.severity).toBe('ok');
    expect(checkRuntime({ version: '22.1.0', path: 'n' }, new Date('2027-04-30T00:00:00Z'))[0]?.severity).toBe(
      'warning',
    );
  });

  it('takes a major older than the table as ended, a newer one as not known to have ended', () => {
    expect(checkRuntime({ version: '16.20.0', path: 'n' }, now)[0]?.id).toBe('runtime.end-of-life');
    expect(checkRuntime({ version: '30.0.0', path: 'n' }, now)[0]?.id).toBe('runtime.supported');
  });
});
