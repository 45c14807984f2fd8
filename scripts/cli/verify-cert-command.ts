import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { HpkiError } from '../../protocol/errors.js';
import type { ParsedCertificate } from '../../server/cert/parsed-certificate.js';
import type { PemLabel } from '../../server/cert/pem.js';
import { readDerObjects } from '../../server/cert/pem.js';
import type { CertificatePurpose } from '../../server/cert/purpose.js';
import { MAX_CRL_BYTES } from '../../server/revocation/crl.js';
import type {
  CertificateValidator,
  CertificateValidatorOptions,
  SkippedInputs,
} from '../../server/verify/certificate-validator.js';
import { createCertificateValidator } from '../../server/verify/certificate-validator.js';
import { checkRole } from '../../server/verify/role.js';
import type { VerificationSummary } from '../../server/verify/summary.js';
import { summarizeVerification } from '../../server/verify/summary.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';

/**
 * `hpki-login verify-cert CERT --anchor FILE… [--intermediate FILE…] [--crl FILE…] [--at ISO]
 * [--role R…] [--purpose auth|sign|any]` (PROTOCOL.md §9): one JSON object on stdout; exit 0 valid,
 * 1 invalid, 2 usage error. Revocation is checked only when a --crl is given.
 */

export { UsageError } from './usage-error.js';

/** Options both verify commands take. */
export const COMMON_OPTIONS = {
  anchor: { type: 'string', multiple: true },
  intermediate: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  at: { type: 'string' },
  role: { type: 'string', multiple: true },
  purpose: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonValues {
  anchor?: string[];
  intermediate?: string[];
  crl?: string[];
  at?: string;
  role?: string[];
  purpose?: string;
}

const MULTI_VALUED: ReadonlySet<string> = new Set(['anchor', 'intermediate', 'crl', 'role']);

/**
 * parseArgs with one leniency: once the CERT (or TOKEN) positional has been seen, further bare
 * words right after a repeatable option's value belong to that option, so both
 * `--crl a.pem --crl b.pem` and `--crl a.pem b.pem` work.
 */
export function parseVerifyArgs<E extends Record<string, { type: 'string' }>>(
  args: string[],
  extra: E,
): { values: CommonValues & { help?: boolean } & { [K in keyof E]?: string }; positionals: string[] } {
  const options = { ...COMMON_OPTIONS, ...extra };
  const { values, tokens } = parseArgs({ args, allowPositionals: true, options, tokens: true });
  const out = values as Record<string, unknown>;
  const positionals: string[] = [];
  let lastMulti: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'option') {
      lastMulti = MULTI_VALUED.has(token.name) && token.value !== undefined ? token.name : undefined;
    } else if (token.kind === 'positional') {
      if (lastMulti !== undefined && positionals.length > 0) {
        (out[lastMulti] as string[]).push(token.value);
      } else {
        positionals.push(token.value);
        lastMulti = undefined;
      }
    } else {
      lastMulti = undefined;
    }
  }
  return { values: out as CommonValues & { help?: boolean } & { [K in keyof E]?: string }, positionals };
}

const MAX_CERT_FILE_BYTES = 1024 * 1024;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The most read in one step from a pipe or a device, whose size is not known beforehand. */
const READ_CHUNK_BYTES = 1024 * 1024;

function cannotRead(path: string): UsageError {
  return new UsageError(`cannot read ${path}`, `${path} を読めません`);
}

function tooLarge(path: string, maxBytes: number): UsageError {
  return new UsageError(`${path} is larger than ${maxBytes} bytes`, `${path} が ${maxBytes} バイトを超えています`);
}

/**
 * Reads from `handle` until its end, refusing as soon as more than `maxBytes` have come. `expected`
 * is the size the file system reports (0 for a pipe or a device): a regular file is read into one
 * buffer of that size plus the byte that tells whether it grew.
 */
async function readBounded(handle: FileHandle, path: string, maxBytes: number, expected: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const wanted = chunks.length === 0 && expected > 0 ? expected + 1 : READ_CHUNK_BYTES;
    // One byte past the limit is enough to know the input is too large; more is never read.
    const buffer = new Uint8Array(Math.min(maxBytes + 1 - total, wanted));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) throw tooLarge(path, maxBytes);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads a file of at most `maxBytes`; a missing, unreadable or oversized one is a usage error. The
 * bound holds while reading, not only by the size the file system reports: a pipe or a device
 * (`<(…)`, /dev/stdin, /dev/zero) reports 0 and is read only up to one byte past the bound.
 */
export async function readInputFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    throw cannotRead(path);
  }
  try {
    const info = await handle.stat();
    if (info.isFile() && info.size > maxBytes) throw tooLarge(path, maxBytes);
    return await readBounded(handle, path, maxBytes, info.isFile() ? info.size : 0);
  } catch (err) {
    throw err instanceof UsageError ? err : cannotRead(path);
  } finally {
    await handle.close();
  }
}

interface FileObjects {
  ders: Uint8Array[];
  /** Where each object came from: the file, and the block number when the file has several. */
  sources: string[];
}

async function readObjects(
  paths: readonly string[],
  maxBytes: number,
  label: PemLabel,
  what: string,
): Promise<FileObjects> {
  const out: FileObjects = { ders: [], sources: [] };
  for (const path of paths) {
    const objects = readDerObjects(await readInputFile(path, maxBytes), label);
    if (objects.length === 0)
      throw new UsageError(`${path} holds no ${what}`, `${path} に${what === 'CRL' ? ' CRL' : '証明書'}がありません`);
    out.ders.push(...objects);
    out.sources.push(...objects.map((_, i) => (objects.length === 1 ? path : `${path} (block ${i + 1})`)));
  }
  return out;
}

/** The certificates of each file (DER, or PEM with any number of blocks; 1 MiB at most each); a file with none is a usage error. */
export async function readCertificateFiles(paths: readonly string[]): Promise<Uint8Array[]> {
  return (await readObjects(paths, MAX_CERT_FILE_BYTES, 'CERTIFICATE', 'certificate')).ders;
}

export interface TrustInputs {
  validatorOptions: CertificateValidatorOptions;
  at: Date;
  roles: string[] | undefined;
  purpose: CertificatePurpose | 'any' | undefined;
  /** File (and block) of each configured intermediate and CRL, to name the ones the validator skips. */
  sources: { intermediates: string[]; crls: string[] };
}

/** Reads anchors, intermediates and CRLs; checks --at and --purpose. */
export async function readTrustInputs(values: CommonValues): Promise<TrustInputs> {
  if (values.anchor === undefined || values.anchor.length === 0)
    throw new UsageError('at least one --anchor FILE is needed', '--anchor FILE (信頼するルート証明書) が必要です');
  let at = new Date();
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (!ISO_TIME.test(values.at) || Number.isNaN(at.getTime()))
      throw new UsageError(
        `--at must be an ISO 8601 time, not '${values.at}'`,
        `--at は ISO 8601 の日時です（'${values.at}' ではなく）`,
      );
  }
  const purpose = values.purpose;
  if (purpose !== undefined && purpose !== 'auth' && purpose !== 'sign' && purpose !== 'any') {
    throw new UsageError('--purpose must be auth, sign or any', '--purpose は auth, sign, any のいずれかです');
  }
  const anchors = await readObjects(values.anchor, MAX_CERT_FILE_BYTES, 'CERTIFICATE', 'certificate');
  const intermediates = await readObjects(values.intermediate ?? [], MAX_CERT_FILE_BYTES, 'CERTIFICATE', 'certificate');
  const crls = await readObjects(values.crl ?? [], 2 * MAX_CRL_BYTES, 'X509 CRL', 'CRL');
  return {
    validatorOptions: {
      anchors: anchors.ders,
      intermediates: intermediates.ders,
      crls: crls.ders,
      fetchCrls: false,
      revocation: crls.ders.length > 0 ? 'fail-closed' : 'off',
    },
    at,
    roles: values.role,
    purpose,
    sources: { intermediates: intermediates.sources, crls: crls.sources },
  };
}

/**
 * Tells on stderr which --intermediate and --crl inputs the validator could not read: they are
 * left out (a broken CRL is no CRL) rather than failing the whole run as a usage error.
 */
export function reportSkipped(skipped: SkippedInputs, sources: TrustInputs['sources'], command: string): void {
  for (const s of skipped.intermediates)
    process.stderr.write(
      `hpki-login ${command}: ignored --intermediate ${sources.intermediates[s.index] ?? `#${s.index + 1}`}: ${s.reason}\n`,
    );
  for (const s of skipped.crls)
    process.stderr.write(
      `hpki-login ${command}: ignored --crl ${sources.crls[s.index] ?? `#${s.index + 1}`}: ${s.reason}\n`,
    );
}

export function printSummary(summary: VerificationSummary, message: string | undefined, command: string): number {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (message !== undefined) process.stderr.write(`hpki-login ${command}: ${message}\n`);
  return summary.valid ? 0 : 1;
}

/** Exit 2 with one line for a usage error (a parseArgs one in plain words); anything else is thrown on. */
export function usageFailure(command: string, err: unknown): number {
  process.stderr.write(usageErrorLineOf(command, err instanceof UsageError ? err : parseArgsUsageError(err)));
  return 2;
}

/** The validator's refusal of the trust files the command line named (anchors, intermediates, CRLs). */
export function trustUsageError(err: unknown): UsageError {
  return new UsageError(
    err instanceof Error ? err.message : String(err),
    '--anchor, --intermediate, --crl のファイルを検証に使えません',
  );
}

const USAGE =
  'usage: hpki-login verify-cert CERT --anchor FILE… [--intermediate FILE…] [--crl FILE…] [--at ISO] [--role R…] [--purpose auth|sign|any]\n';

/** A certificate of the CERT file: one that does not parse is ERR_CERT_MALFORMED (it came with no token). */
function parseCertFile(validator: CertificateValidator, der: Uint8Array): ParsedCertificate {
  try {
    return validator.parse(der);
  } catch (err) {
    if (err instanceof HpkiError && err.code === 'ERR_TOKEN_MALFORMED')
      throw new HpkiError('ERR_CERT_MALFORMED', `the CERT file holds no valid X.509 certificate (${err.message})`);
    throw err;
  }
}

export async function run(args: string[]): Promise<number> {
  let inputs: TrustInputs;
  let certFile: Uint8Array;
  try {
    const { values, positionals } = parseVerifyArgs(args, {});
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError('exactly one CERT file is needed', '検証する証明書ファイル CERT を一つ指定してください');
    inputs = await readTrustInputs(values);
    certFile = await readInputFile(positionals[0]!, MAX_CERT_FILE_BYTES);
  } catch (err) {
    return usageFailure('verify-cert', err);
  }

  let validator;
  try {
    validator = createCertificateValidator(inputs.validatorOptions);
  } catch (err) {
    return usageFailure('verify-cert', trustUsageError(err));
  }
  reportSkipped(validator.skipped, inputs.sources, 'verify-cert');
  const [eeDer, ...chainDers] = readDerObjects(certFile, 'CERTIFICATE');
  let certificate;
  try {
    if (eeDer === undefined) throw new HpkiError('ERR_CERT_MALFORMED', 'no certificate in the CERT file');
    certificate = parseCertFile(validator, eeDer);
    const supplied = chainDers.map((d) => parseCertFile(validator, d));
    const purpose = inputs.purpose === 'any' ? undefined : inputs.purpose;
    const validation = await validator.validate(certificate, supplied, {
      at: inputs.at,
      ...(purpose ? { purpose } : {}),
    });
    let error = validation.error;
    if (error === undefined && inputs.roles !== undefined) {
      try {
        checkRole(certificate.info, inputs.roles);
      } catch (err) {
        if (!(err instanceof HpkiError)) throw err;
        error = err;
      }
    }
    return printSummary(summarizeVerification({ ...validation, error, certificate }), error?.message, 'verify-cert');
  } catch (err) {
    if (!(err instanceof HpkiError)) throw err;
    const facts = { error: err, certificate, path: undefined, revocation: undefined };
    return printSummary(summarizeVerification(facts), err.message, 'verify-cert');
  }
}
