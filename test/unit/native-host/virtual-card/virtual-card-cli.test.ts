import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCardFile, readAuthKeyPair } from '../../../../native-host/virtual-card/index.js';
import { parseHostPort, run } from '../../../../scripts/cli/mock-card-command.js';

let dir: string;
let output: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mock-card-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): void {
  output = [];
  const keep = (chunk: string | Uint8Array): boolean => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
}
afterEach(() => vi.restoreAllMocks());

describe('hpki-login mock-card', () => {
  it('create: makes a card with the defaults and reports it as one JSON line', async () => {
    capture();
    const out = join(dir, 'default.card');
    expect(await run(['create', '--out', out, '--pki', join(dir, 'pki')])).toBe(0);
    const summary = JSON.parse(output.join('')) as {
      card: string;
      kind: string;
      holder: { name: string; nameJa: string; role: string };
    };
    expect(summary).toMatchObject({
      card: out,
      kind: 'hpki',
      holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
    });
    const file = loadCardFile(out);
    const cert = new X509Certificate(readAuthKeyPair(file).certificate);
    expect(cert.subject).toContain('CN=Nichii Taro');
    expect(existsSync(join(dir, 'pki', 'root.pem'))).toBe(true);
  });

  it('create: honours name, role, expiry and kind; a custom name gets no default Japanese name', async () => {
    capture();
    const out = join(dir, 'pharm.card');
    const code = await run([
      'create',
      '--out',
      out,
      '--pki',
      join(dir, 'pki'),
      '--name',
      'Yakuzai Hanako',
      '--role',
      'Pharmacist',
      '--expired',
      '--pin',
      '87654321',
    ]);
    expect(code).toBe(0);
    const file = loadCardFile(out);
    expect(file.kind === 'hpki' && file.holder).toEqual({ name: 'Yakuzai Hanako', role: 'Pharmacist' });
    const cert = new X509Certificate(readAuthKeyPair(file).certificate);
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now());
    expect(cert.subjectAltName).toBeUndefined();
    expect(await run(['create', '--out', join(dir, 'mn.card'), '--pki', join(dir, 'pki'), '--kind', 'jpki'])).toBe(0);
    expect(loadCardFile(join(dir, 'mn.card')).kind).toBe('jpki');
  });

  it('answers usage errors with exit code 2', async () => {
    capture();
    const pki = ['--pki', join(dir, 'pki')];
    expect(await run([])).toBe(2);
    expect(await run(['destroy'])).toBe(2);
    expect(await run(['create', ...pki])).toBe(2);
    expect(await run(['create', '--out', join(dir, 'x.card'), ...pki, '--pin', '12'])).toBe(2);
    expect(await run(['create', '--out', join(dir, 'x.card'), ...pki, '--kind', 'felica'])).toBe(2);
    expect(await run(['create', '--out', join(dir, 'x.card'), ...pki, '--expired', '--not-yet-valid'])).toBe(2);
    expect(await run(['create', '--out', join(dir, 'x.card'), '--frobnicate'])).toBe(2);
    expect(await run(['serve', '--vpcd'])).toBe(2);
    expect(await run(['serve', '--card', join(dir, 'default.card')])).toBe(2);
    expect(await run(['serve', '--card', join(dir, 'default.card'), '--vpcd', 'host:99999'])).toBe(2);
    expect(await run(['serve', '--card', join(dir, 'default.card'), '--vpcd', '--sign-delay-ms', '-5'])).toBe(2);
    expect(existsSync(join(dir, 'x.card'))).toBe(false);
    expect(await run(['--help'])).toBe(0);
  });

  it('serve: a card file that is not one is a failure (exit 1), not a crash', async () => {
    capture();
    expect(await run(['serve', '--card', join(dir, 'pki', 'state.json'), '--vpcd'])).toBe(1);
    expect(output.join('')).toMatch(/not a virtual card file/);
  });

  it('parses --vpcd HOST:PORT forms', () => {
    expect(parseHostPort('127.0.0.1:35963')).toEqual({ host: '127.0.0.1', port: 35963 });
    expect(parseHostPort('vpcd.local')).toEqual({ host: 'vpcd.local', port: 35963 });
    expect(parseHostPort(':4000')).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(parseHostPort('[::1]:4000')).toEqual({ host: '::1', port: 4000 });
    expect(() => parseHostPort('a:b:c')).toThrow();
  });
});
