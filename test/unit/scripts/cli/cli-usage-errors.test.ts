import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../../scripts/cli/main.js';

/**
 * Every subcommand's usage errors, walked from a table of bad command lines: exit 2, one line in
 * Japanese and English, pointing at --help without printing the usage, and no raw parser or schema text.
 */

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
/** node:util parseArgs and zod wording, which must never reach a person as it is. */
const RAW =
  /Unknown option|argument missing|does not take an argument|positional argument|Invalid input|expected \w+, received|ZodError|TypeError|at .*\.(ts|js):\d+/;

const BAD_LINES: string[][] = [
  ['no-such-command'],
  ['host', '--backend', 'floppy'],
  ['host', '--no-such-option'],
  ['host', '--backend', 'mock'],
  ['host', '--backend', 'pkcs11'],
  ['demo', '--bogus'],
  ['demo', '--port', 'eighty'],
  ['demo', '--origin', 'http://example.com'],
  ['demo', '--redis', 'http://localhost:6379'],
  ['demo', '--challenge-rate', '-1'],
  ['demo', '--trust-proxy', 'not-an-address'],
  ['demo', '--port'],
  ['demo', 'extra'],
  ['demo', '--document-anchor', 'no-such-anchor.pem'],
  ['demo', '--document-anchor', 'test/fixtures/hpki-reference/mhlw-sarl-2017-04-25.pem'],
  ['sso', '--issuer'],
  ['sso', '--clients', 'c.json'],
  ['sso', '--issuer', 'https://op.example/path', '--clients', 'c.json'],
  ['sso', '--issuer', 'https://op.example', '--clients', 'c.json', '--port', '99999'],
  ['sso', '--issuer', 'https://op.example', '--clients', 'c.json', '--redis', 'redis://localhost:6379'],
  ['sso', '--issuer', 'https://op.example', '--clients', 'c.json', '--max-pending', '0'],
  ['sso', 'rotate-keys'],
  ['sso', '--help=yes'],
  ['mock-card'],
  ['mock-card', 'burn'],
  ['mock-card', 'create'],
  ['mock-card', 'create', '--out', 'x.json', '--kind', 'mynumber'],
  ['mock-card', 'serve', '--card', 'x.json'],
  ['mock-card', 'create', '--out', 'x.json', '--expired', '--not-yet-valid'],
  ['verify-cert'],
  ['verify-cert', 'cert.pem'],
  ['verify-cert', 'cert.pem', '--anchor', 'no-such-file.pem'],
  ['verify-cert', 'cert.pem', '--anchor', 'a.pem', '--at', 'yesterday'],
  ['verify-cert', '--unknown'],
  ['verify-token', 't.json'],
  ['verify-token', 't.json', '--challenge', 'c', '--origin', 'https://a.example', '--purpose', 'sign'],
  ['install-host', '--browser', 'netscape'],
  ['install-host', '--backend', 'mock'],
  ['install-host', '--card', 'x.json'],
  ['install-host', '--os', 'plan9'],
  ['install-host', '--user-data-dir', 'profile'],
  ['uninstall-host', '--backend', 'floppy'],
  ['uninstall-host', '--frobnicate'],
  ['doctor', '--backend', 'floppy'],
  ['doctor', '--backend', 'pkcs11'],
  ['doctor', '--os', 'plan9'],
  ['doctor', '--browser', 'netscape'],
  ['doctor', '--json=yes'],
];

const saved = { HPKI_LOGIN_REDIS_URL: process.env.HPKI_LOGIN_REDIS_URL };
delete process.env.HPKI_LOGIN_REDIS_URL;
afterAll(() => {
  if (saved.HPKI_LOGIN_REDIS_URL !== undefined) process.env.HPKI_LOGIN_REDIS_URL = saved.HPKI_LOGIN_REDIS_URL;
});

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      out[stream] += String(chunk);
      return true;
    });
  const spies = [capture('stdout'), capture('stderr')];
  try {
    return { code: await main(argv), ...out };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('CLI usage errors', () => {
  it.each(BAD_LINES.map((line) => [line.join(' '), line]))('hpki-login %s', async (_, argv) => {
    const { code, stdout, stderr } = await runCli(argv as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.split('\n');
    expect(lines).toHaveLength(2);
    const line = lines[0] ?? '';
    expect(lines[1]).toBe('');
    const [ja = '', en = ''] = line.replace(/ \(使い方 \/ usage: .*\)$/, '').split(' / ');
    expect(ja).toMatch(JAPANESE);
    expect(en).toMatch(/[a-z]{3}/);
    expect(en.replace(/'[^']*'/g, '')).not.toMatch(JAPANESE);
    expect(line).toMatch(/\(使い方 \/ usage: hpki-login( [a-z-]+)? --help\)$/);
    expect(line).not.toMatch(RAW);
  });
});
