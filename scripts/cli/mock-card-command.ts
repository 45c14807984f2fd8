import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { X509Certificate } from '../../native-host/mock-pki/x509.js';
import {
  createCardFile,
  createVirtualCard,
  loadCardFile,
  readAuthKeyPair,
  serveOverVpcd,
  type VirtualCardTweaks,
  VPCD_DEFAULT_PORT,
  withApduLog,
} from '../../native-host/virtual-card/index.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';

/**
 * `hpki-login mock-card create|serve` (PROTOCOL.md §9): makes virtual HPKI cards from the mock PKI
 * and serves one to pcscd through vpcd. Exit 0 success, 1 failure, 2 usage error.
 */

const USAGE = `usage:
  hpki-login mock-card create --out FILE [--pki DIR] [--name NAME] [--name-ja NAME] [--role ROLE]
                              [--holder-id ID] [--pin PIN] [--sign-pin PIN] [--expired | --revoked | --not-yet-valid] [--kind hpki|jpki]
                              [--crl-base-url URL]
  hpki-login mock-card serve --card FILE --vpcd [HOST:PORT] [--sign-delay-ms N]
                             [--blocked-sw 6983|6984] [--forms both|iso|proprietary]
                             [--no-extended-length] [--log-apdus]

  --pin sets both applications' PINs; --sign-pin sets the signing application's PIN apart.
  --pki defaults to ~/.hpki-login/mock-pki (made on first use); --vpcd to 127.0.0.1:${VPCD_DEFAULT_PORT}.
  --no-extended-length: the card answers every extended-length command 6700.
  --log-apdus: one line on stderr per command (header, lengths and status word; never its data).
`;

const DEFAULT_HOLDER = { name: 'Nichii Taro', nameJa: '日医　太郎' } as const;
const DEFAULT_VPCD = `127.0.0.1:${VPCD_DEFAULT_PORT}`;

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw parseArgsUsageError(err);
  }
}

/** `--vpcd` takes an optional value, which parseArgs cannot express: a bare flag means the default. */
function withVpcdDefault(args: string[]): string[] {
  return args.map((arg, i) => {
    const next = args[i + 1];
    return arg === '--vpcd' && (next === undefined || next.startsWith('-')) ? `--vpcd=${DEFAULT_VPCD}` : arg;
  });
}

export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*))(?::(\d{1,5}))?$/.exec(text);
  if (match === null)
    throw new UsageError(
      `--vpcd wants HOST:PORT, not '${text}'`,
      `--vpcd は HOST:PORT の形で指定します（'${text}' ではなく）`,
    );
  const host = match[1] ?? (match[2] === '' || match[2] === undefined ? '127.0.0.1' : match[2]);
  const port = match[3] === undefined ? VPCD_DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65535)
    throw new UsageError(`--vpcd port out of range: ${port}`, `--vpcd のポート ${port} は範囲外です`);
  return { host, port };
}

async function create(args: string[]): Promise<number> {
  const v = parse(args, {
    out: { type: 'string' },
    pki: { type: 'string' },
    name: { type: 'string' },
    'name-ja': { type: 'string' },
    role: { type: 'string', default: 'Medical Doctor' },
    'holder-id': { type: 'string' },
    pin: { type: 'string', default: '1234' },
    'sign-pin': { type: 'string' },
    expired: { type: 'boolean', default: false },
    revoked: { type: 'boolean', default: false },
    'not-yet-valid': { type: 'boolean', default: false },
    kind: { type: 'string', default: 'hpki' },
    'crl-base-url': { type: 'string' },
  });
  if (v.out === undefined) throw new UsageError('create needs --out FILE', 'create には --out FILE が必要です');
  if (v.kind !== 'hpki' && v.kind !== 'jpki')
    throw new UsageError('--kind is hpki or jpki', '--kind は hpki か jpki です');
  if ([v.expired, v['not-yet-valid']].filter(Boolean).length > 1)
    throw new UsageError(
      '--expired and --not-yet-valid exclude each other',
      '--expired と --not-yet-valid は同時に指定できません',
    );
  const nameJa = v['name-ja'] ?? (v.name === undefined ? DEFAULT_HOLDER.nameJa : undefined);
  const out = resolve(v.out);
  const pkiDir = resolve(v.pki ?? join(homedir(), '.hpki-login', 'mock-pki'));
  let pki;
  try {
    pki = await loadOrCreateMockPki(pkiDir, v['crl-base-url'] === undefined ? {} : { crlBaseUrl: v['crl-base-url'] });
    await createCardFile(out, {
      pki,
      name: v.name ?? DEFAULT_HOLDER.name,
      // The default Japanese name belongs to the default holder only; --name-ja '' leaves it out.
      ...(nameJa === undefined || nameJa === '' ? {} : { nameJa }),
      role: v.role,
      ...(v['holder-id'] === undefined ? {} : { holderId: v['holder-id'] }),
      pin: v.pin,
      ...(v['sign-pin'] === undefined ? {} : { signPin: v['sign-pin'] }),
      expired: v.expired,
      revoked: v.revoked,
      notYetValid: v['not-yet-valid'],
      kind: v.kind,
    });
  } catch (err) {
    // Bad names, PINs or URLs surface as RangeError/TypeError from the libraries: the user's input.
    if (err instanceof RangeError || err instanceof TypeError)
      throw new UsageError(err.message, 'カードの内容（氏名・PIN・URL など）が正しくありません');
    throw err;
  }
  const file = loadCardFile(out);
  const summary: Record<string, unknown> = { card: out, kind: file.kind, pki: pkiDir };
  if (file.kind === 'hpki') {
    const auth = new X509Certificate(new Uint8Array(readAuthKeyPair(file).certificate));
    summary.holder = file.holder;
    summary.authCertificate = {
      serialNumber: auth.serialNumber,
      subject: auth.subject,
      notBefore: auth.notBefore,
      notAfter: auth.notAfter,
    };
    summary.revoked = v.revoked;
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

function tweaksFrom(v: {
  'sign-delay-ms'?: string | undefined;
  'blocked-sw'?: string | undefined;
  forms?: string | undefined;
  'no-extended-length'?: boolean | undefined;
}): VirtualCardTweaks {
  const tweaks: VirtualCardTweaks = {};
  if (v['no-extended-length'] === true) tweaks.extendedLength = false;
  if (v['sign-delay-ms'] !== undefined) {
    const ms = Number(v['sign-delay-ms']);
    if (!Number.isInteger(ms) || ms < 0 || ms > 600_000)
      throw new UsageError('--sign-delay-ms is 0–600000', '--sign-delay-ms は 0～600000 です');
    tweaks.signDelayMs = ms;
  }
  if (v['blocked-sw'] !== undefined) {
    if (v['blocked-sw'] !== '6983' && v['blocked-sw'] !== '6984')
      throw new UsageError('--blocked-sw is 6983 or 6984', '--blocked-sw は 6983 か 6984 です');
    tweaks.blockedStatusWord = v['blocked-sw'] === '6983' ? 0x6983 : 0x6984;
  }
  if (v.forms !== undefined) {
    if (v.forms !== 'both' && v.forms !== 'iso' && v.forms !== 'proprietary')
      throw new UsageError('--forms is both, iso or proprietary', '--forms は both, iso, proprietary のいずれかです');
    tweaks.signingForms = { iso: v.forms !== 'proprietary', proprietary: v.forms !== 'iso' };
  }
  return tweaks;
}

async function serve(args: string[]): Promise<number> {
  const v = parse(withVpcdDefault(args), {
    card: { type: 'string' },
    vpcd: { type: 'string' },
    'sign-delay-ms': { type: 'string' },
    'blocked-sw': { type: 'string' },
    forms: { type: 'string' },
    'no-extended-length': { type: 'boolean', default: false },
    'log-apdus': { type: 'boolean', default: false },
  });
  if (v.card === undefined) throw new UsageError('serve needs --card FILE', 'serve には --card FILE が必要です');
  if (v.vpcd === undefined)
    throw new UsageError('serve needs --vpcd [HOST:PORT]', 'serve には --vpcd [HOST:PORT] が必要です');
  const { host, port } = parseHostPort(v.vpcd);
  const virtualCard = createVirtualCard({ path: resolve(v.card) }, tweaksFrom(v));
  const card = v['log-apdus']
    ? withApduLog(virtualCard, (line) => process.stderr.write(`mock-card: ${line}\n`))
    : virtualCard;
  let announced = false;
  process.stderr.write(`mock-card: connecting to vpcd at ${host}:${port}\n`);
  const service = serveOverVpcd(card, {
    host,
    port,
    onConnect: () => {
      if (!announced) process.stdout.write(`mock-card: serving ${resolve(v.card!)} over vpcd at ${host}:${port}\n`);
      else process.stderr.write('mock-card: reconnected to vpcd\n');
      announced = true;
    },
    onDisconnect: () => process.stderr.write('mock-card: vpcd connection lost, reconnecting\n'),
  });
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await service.stop();
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (action === 'create') return await create(rest);
    if (action === 'serve') return await serve(rest);
    throw action === undefined
      ? new UsageError('missing action (create or serve)', '操作（create か serve）を指定してください')
      : new UsageError(
          `unknown action '${action}' (create or serve)`,
          `'${action}' という操作はありません（create か serve）`,
        );
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorLineOf('mock-card', err));
      return 2;
    }
    process.stderr.write(`hpki-login mock-card: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
