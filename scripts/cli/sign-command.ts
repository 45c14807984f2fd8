import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { CardBackend } from '../../native-host/card/card-token.js';
import { decodeBase64Strict, encodeBase64 } from '../../protocol/base64.js';
import { isValidPinFormat } from '../../protocol/challenge.js';
import { HpkiError } from '../../protocol/errors.js';
import type { Backend } from '../../protocol/messages.js';
import { BASIC_LEVELS, type DocumentFormat } from '../../protocol/signature-report.js';
import type { Timestamper } from '../../server/documents/document-types.js';
import { XadesError } from '../../server/documents/xades/index.js';
import { type BackendValues, backendOf, loadBackend } from './card-backends.js';
import { askPin, readPinFromStdin } from './pin-input.js';
import { DOCUMENT_FORMAT_TABLE, type FormatEntry, formatNamed } from './sign-formats.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';
import { readInputFile } from './verify-cert-command.js';

/**
 * `hpki-login sign FILE --out OUT --format cades|pades|xades [--backend pcsc|pkcs11|mock] [--card FILE]
 * [--module LIB] [--reader NAME] [--pin-stdin] [--timestamp URL] [--label TEXT]` (PROTOCOL.md §11):
 * signs a local file with the card's signing key through the host's own commands
 * (`get-signing-certificate`, then `sign`: one VERIFY of the signing PIN, one signature, never
 * retried). Prints `{"out","format","level"}`; exit 0 signed, 1 the card or the TSA said no, 2 usage.
 */

const USAGE =
  'usage: hpki-login sign FILE --out OUT --format cades|pades|xades [--backend pcsc|pkcs11|mock] [--card FILE]\n' +
  '                       [--module LIB] [--reader NAME] [--pin-stdin] [--timestamp URL] [--label TEXT]\n';

/** The origin the host's `sign` records for a signature made on this machine's command line. */
const CLI_ORIGIN = 'http://localhost';
const MAX_LABEL = 200;

interface SignValues extends BackendValues {
  backend?: string;
  out?: string;
  format?: string;
  reader?: string;
  'pin-stdin'?: boolean;
  timestamp?: string;
  label?: string;
  help?: boolean;
}

interface SignPlan {
  file: string;
  out: string;
  format: DocumentFormat;
  entry: FormatEntry;
  timestamper: Timestamper | undefined;
  label: string | undefined;
  /** Checked with the rest of the command line, so that a wrong --backend is a usage error. */
  backend: Backend;
}

function parse(args: string[]): { values: SignValues; positionals: string[] } {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      format: { type: 'string' },
      backend: { type: 'string' },
      card: { type: 'string' },
      module: { type: 'string' },
      'cache-dir': { type: 'string' },
      reader: { type: 'string' },
      'pin-stdin': { type: 'boolean' },
      timestamp: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }) as { values: SignValues; positionals: string[] };
}

async function timestamperOf(url: string | undefined): Promise<Timestamper | undefined> {
  if (url === undefined) return undefined;
  const { createTsaClient } = await import('../../server/documents/timestamp/index.js');
  try {
    return createTsaClient({ url });
  } catch {
    throw new UsageError('--timestamp must be an http or https URL', '--timestamp は http または https の URL です');
  }
}

async function planOf(values: SignValues, positionals: string[]): Promise<SignPlan> {
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('FILE is needed', '署名するファイル FILE が必要です');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`, `余分な引数 ${extra} があります`);
  if (values.out === undefined) throw new UsageError('--out OUT is needed', '--out OUT (出力ファイル) が必要です');
  const format = formatNamed(values.format ?? '');
  const entry = DOCUMENT_FORMAT_TABLE[format];
  if (values.label !== undefined && values.label.length > MAX_LABEL)
    throw new UsageError(
      `--label is longer than ${MAX_LABEL} characters`,
      `--label が ${MAX_LABEL} 文字を超えています`,
    );
  const backend = backendOf(values);
  return {
    file,
    out: values.out,
    format,
    entry,
    timestamper: await timestamperOf(values.timestamp),
    label: values.label,
    backend,
  };
}

/** The signing PIN, typed or piped; one no card holds is a usage error, so the card never counts it as wrong. */
async function pinOf(values: SignValues, plan: SignPlan, holder: string): Promise<string> {
  const what = plan.label === undefined ? plan.file : `${plan.label} (${plan.file})`;
  const pin = values['pin-stdin']
    ? await readPinFromStdin()
    : await askPin(`電子署名 / signature: ${what}\n${holder} の署名用 PIN / signing PIN: `);
  if (!isValidPinFormat(pin))
    throw new UsageError(
      'the PIN must be 4–16 printable ASCII characters; nothing was sent to the card',
      'PIN は半角英数記号 4〜16 文字です。カードには何も送っていません',
    );
  return pin;
}

async function signWithCard(backend: CardBackend, values: SignValues, plan: SignPlan, file: Uint8Array) {
  const { createSeenCertificates, runGetCertificate, runSign } = await import('../../native-host/commands/index.js');
  const seen = createSeenCertificates();
  const reader = values.reader === undefined ? {} : { reader: values.reader };
  const card = await runGetCertificate(backend, reader, seen, 'sign');
  const decode = (b64: string): Uint8Array => decodeBase64Strict(b64) ?? new Uint8Array(0);
  const pending = await plan.entry.prepare({
    file,
    certificate: decode(card.certificate),
    intermediates: card.intermediates.map(decode),
  });
  const pin = await pinOf(values, plan, card.holder.nameJa ?? card.holder.name);
  const signed = await runSign(
    backend,
    {
      origin: CLI_ORIGIN,
      hashAlgorithm: pending.hashAlgorithm,
      hash: encodeBase64(pending.hash),
      certificateSha256: card.certificateSha256,
      pin,
      ...reader,
    },
    seen,
  );
  return plan.entry.finish(pending.state, decode(signed.signature), plan.timestamper);
}

/** OUT's folder must take the file before the card is asked: a signature is a PIN entry, never spent for nothing. */
async function checkWritable(out: string): Promise<void> {
  try {
    await access(dirname(out), constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${out}`, `${out} に書き込めません`);
  }
}

function retriesOf(err: HpkiError | XadesError): number {
  return err instanceof HpkiError ? (err.retriesLeft ?? 0) : 0;
}

function failure(err: HpkiError | XadesError): number {
  const text =
    err.code === 'ERR_HPKI_PIN_INCORRECT'
      ? `署名用 PIN が違います（残り ${retriesOf(err)} 回）/ wrong signing PIN, ${retriesOf(err)} tries left`
      : err.message;
  process.stderr.write(`hpki-login sign: ${err.code}: ${text}\n`);
  return 1;
}

export async function run(args: string[]): Promise<number> {
  let values: SignValues;
  let plan: SignPlan;
  let file: Uint8Array;
  try {
    let positionals: string[];
    ({ values, positionals } = parse(args));
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    plan = await planOf(values, positionals);
    file = await readInputFile(plan.file, plan.entry.maxFileBytes);
    await checkWritable(plan.out);
  } catch (err) {
    process.stderr.write(usageErrorLineOf('sign', err instanceof UsageError ? err : parseArgsUsageError(err)));
    return 2;
  }
  const backend = await loadBackend(plan.backend, values);
  try {
    const signed = await signWithCard(backend, values, plan, file);
    await writeFile(plan.out, signed);
    const level = BASIC_LEVELS[plan.format][plan.timestamper === undefined ? 'plain' : 'timestamped'];
    process.stdout.write(`${JSON.stringify({ out: plan.out, format: plan.format, level })}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorLineOf('sign', err));
      return 2;
    }
    // A file the format refuses (an XAdES CSV it cannot use) is the input's fault, said with its code.
    if (err instanceof HpkiError || err instanceof XadesError) return failure(err);
    throw err;
  } finally {
    await backend.close();
  }
}
