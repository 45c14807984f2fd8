import { type DocumentFormat, signatureReportSchema } from '../../protocol/signature-report.js';
import { detectDocumentFormat, verifyDocument } from '../../server/documents/document-formats.js';
import type { DocumentVerifyOptions } from '../../server/documents/document-types.js';
import { type CertificateValidatorOptions, createCertificateValidator } from '../../server/verify/index.js';
import { DOCUMENT_FORMAT_TABLE, formatNamed } from './sign-formats.js';
import { UsageError } from './usage-error.js';
import {
  parseVerifyArgs,
  readCertificateFiles,
  readInputFile,
  readTrustInputs,
  trustUsageError,
  usageFailure,
} from './verify-cert-command.js';

/**
 * `hpki-login verify-signature FILE [--data ORIGINAL] --anchor FILE… [--intermediate FILE…] [--crl FILE…]
 * [--tsa-anchor FILE…] [--at ISO] [--role R…] [--format cades|pades|xades]` (PROTOCOL.md §11): one JSON
 * object (protocol/signature-report.ts) on stdout; exit 0 valid, 1 invalid, 2 usage error. The
 * format is recognised from the file unless --format names it. Revocation: fail-closed when a
 * --crl is given; otherwise soft-fail, so that CRLs embedded in the file still count and a
 * signature without any is reported `revocation: "unknown"`.
 */

const USAGE =
  'usage: hpki-login verify-signature FILE [--data ORIGINAL] --anchor FILE… [--intermediate FILE…] [--crl FILE…]\n' +
  '                                   [--tsa-anchor FILE…] [--at ISO] [--role R…] [--format cades|pades|xades]\n';

/** The signed document of a detached signature (--data): read whole to be hashed. */
const MAX_DATA_BYTES = 256 * 1024 * 1024;

/** FILE is read once, up to the largest format's bound, then held to its own format's. */
const MAX_SIGNED_FILE_BYTES = Math.max(...Object.values(DOCUMENT_FORMAT_TABLE).map((e) => e.maxFileBytes));

const EXTRA_OPTIONS = {
  data: { type: 'string' },
  format: { type: 'string' },
  // Repeatable: parseVerifyArgs types extra options as single strings, so the list is read as unknown below.
  'tsa-anchor': { type: 'string', multiple: true },
} as const;

interface Job {
  format: DocumentFormat;
  file: Uint8Array;
  data: Uint8Array | undefined;
  options: DocumentVerifyOptions;
}

function formatOf(named: string | undefined, file: Uint8Array): DocumentFormat {
  if (named !== undefined) return formatNamed(named);
  const format = detectDocumentFormat(file);
  if (format === undefined)
    throw new UsageError(
      'FILE is no signature format this version reads',
      'FILE はこの版で読める署名形式ではありません',
    );
  return format;
}

/** The anchors and other trust files must make a validator (as verify-cert); else a usage error. */
function checkTrust(tsaAnchors: Uint8Array[], options: CertificateValidatorOptions): void {
  try {
    createCertificateValidator(options);
    if (tsaAnchors.length > 0) createCertificateValidator({ ...options, anchors: tsaAnchors });
  } catch (err) {
    throw trustUsageError(err);
  }
}

async function jobOf(args: string[]): Promise<Job | 'help'> {
  // Lenient repeatable options as verify-cert; --tsa-anchor takes one file per flag.
  const { values, positionals } = parseVerifyArgs(args, EXTRA_OPTIONS);
  if (values.help === true) return 'help';
  if (values.purpose !== undefined)
    throw new UsageError('--purpose is always sign here', '--purpose は指定できません（常に sign）');
  if (positionals.length !== 1)
    throw new UsageError('exactly one FILE is needed', '検証するファイル FILE を一つ指定してください');
  const inputs = await readTrustInputs(values);
  const sniff = await readInputFile(positionals[0]!, MAX_SIGNED_FILE_BYTES);
  const format = formatOf(values.format, sniff);
  const entry = DOCUMENT_FORMAT_TABLE[format];
  if (sniff.length > entry.maxFileBytes)
    throw new UsageError(
      `FILE is larger than ${entry.maxFileBytes} bytes`,
      `FILE が ${entry.maxFileBytes} バイトを超えています`,
    );
  const data = values.data === undefined ? undefined : await readInputFile(values.data, MAX_DATA_BYTES);
  const listed: unknown = values['tsa-anchor'];
  const tsaAnchors = await readCertificateFiles(
    Array.isArray(listed) ? listed.map(String) : listed === undefined ? [] : [String(listed)],
  );
  checkTrust(tsaAnchors, inputs.validatorOptions);
  const options: DocumentVerifyOptions = {
    ...inputs.validatorOptions,
    revocation: (inputs.validatorOptions.crls?.length ?? 0) > 0 ? 'fail-closed' : 'soft-fail',
    allowedRoles: inputs.roles ?? 'any',
    ...(tsaAnchors.length > 0 ? { tsaAnchors } : {}),
    ...(values.at === undefined ? {} : { at: inputs.at }),
  };
  return { format, file: sniff, data, options };
}

export async function run(args: string[]): Promise<number> {
  let job: Job | 'help';
  try {
    job = await jobOf(args);
  } catch (err) {
    return usageFailure('verify-signature', err);
  }
  if (job === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = signatureReportSchema.parse(await verifyDocument(job.format, job.file, job.data, job.options));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (!report.valid && report.error !== undefined)
    process.stderr.write(`hpki-login verify-signature: ${report.error}\n`);
  return report.valid ? 0 : 1;
}
