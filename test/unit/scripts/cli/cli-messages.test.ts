import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { finding } from '../../../../native-host/doctor/findings.js';
import { formatText } from '../../../../native-host/doctor/report.js';
import { readClientsFile, run as runSso } from '../../../../scripts/cli/sso-command.js';
import { usageErrorLine } from '../../../../scripts/cli/usage-error.js';

/** CLI messages a person reads: one line per usage error, plain words instead of schema text. */

const dir = mkdtempSync(join(tmpdir(), 'hpki-cli-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function clientsError(content: string): Promise<string> {
  const file = join(dir, 'clients.json');
  writeFileSync(file, content);
  return readClientsFile(file).then(
    () => 'accepted',
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
}

describe('usage errors', () => {
  it('are one line naming --help, never the whole usage', () => {
    const line = usageErrorLine('sso', '--issuer URL is needed');
    expect(line).toBe('hpki-login sso: --issuer URL is needed (使い方 / usage: hpki-login sso --help)\n');
    expect(line.split('\n')).toHaveLength(2);
  });
});

describe('sso usage errors', () => {
  it('one line, in Japanese and English, exit 2', async () => {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      expect(await runSso(['--clients', join(dir, 'none.json')])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(stderr).toBe(
      'hpki-login sso: --issuer URL (公開する発行者) が必要です / --issuer URL is needed (使い方 / usage: hpki-login sso --help)\n',
    );
  });
});

describe('--clients file problems in plain words', () => {
  it.each([
    ['{}', /must hold a JSON array of clients/],
    ['[]', /lists no client/],
    ['[{"client_id":"a"}]', /client 1, field "redirect_uris": is missing/],
    [
      '[{"client_id":1,"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}]',
      /client 1, field "client_id": should be a string/,
    ],
  ])('%s', async (content, expected) => {
    const message = await clientsError(content);
    expect(message).toMatch(expected);
    expect(message).not.toMatch(/Invalid input|expected \w+, received/);
  });
});

describe('doctor summary', () => {
  const error = finding('pcscd.not-running', 'error', { ja: 'x', en: 'x' });
  const warning = finding('card.none', 'warning', { ja: 'y', en: 'y' });
  const last = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

  it('counts in good English: 1 error, 2 errors, 1 warning', () => {
    expect(last(formatText([error]))).toBe('エラー 1 件 / 1 error');
    expect(last(formatText([error, error]))).toBe('エラー 2 件 / 2 errors');
    expect(last(formatText([warning]))).toBe('問題なし (警告 1) / no errors (1 warning)');
    expect(last(formatText([]))).toBe('問題なし (警告 0) / no errors (0 warnings)');
  });
});
