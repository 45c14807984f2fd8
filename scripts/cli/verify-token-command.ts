import { MAX_TOKEN_BYTES } from '../../protocol/token.js';
import { summarizeVerification } from '../../server/verify/summary.js';
import { createTokenVerifier } from '../../server/verify/token-verifier.js';
import type { TrustInputs } from './verify-cert-command.js';
import {
  parseVerifyArgs,
  printSummary,
  readInputFile,
  readTrustInputs,
  reportSkipped,
  trustUsageError,
  UsageError,
  usageFailure,
} from './verify-cert-command.js';

/**
 * `hpki-login verify-token TOKEN.json --challenge S --origin O --anchor FILE… [--intermediate FILE…]
 * [--crl FILE…] [--at ISO] [--role R…]` (PROTOCOL.md §9): the server's token check (§5) offline,
 * with the given challenge and origin standing in for the session's. Purpose is always `auth`;
 * roles default to Medical Doctor like the server library.
 */

const USAGE =
  'usage: hpki-login verify-token TOKEN.json --challenge S --origin O --anchor FILE… [--intermediate FILE…] [--crl FILE…] [--at ISO] [--role R…]\n';

/** Room for whitespace around a token at the size limit; the verifier enforces the limit itself. */
const MAX_TOKEN_FILE_BYTES = 4 * MAX_TOKEN_BYTES;

export async function run(args: string[]): Promise<number> {
  let inputs: TrustInputs;
  let tokenText: string;
  let challenge: string;
  let origin: string;
  try {
    const { values, positionals } = parseVerifyArgs(args, {
      challenge: { type: 'string' },
      origin: { type: 'string' },
    });
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError('exactly one TOKEN.json file is needed', 'TOKEN.json ファイルを一つ指定してください');
    if (values.challenge === undefined || values.challenge === '')
      throw new UsageError('--challenge S is needed', '--challenge S が必要です');
    if (values.origin === undefined || values.origin === '')
      throw new UsageError('--origin O is needed', '--origin O が必要です');
    if (values.purpose !== undefined && values.purpose !== 'auth')
      throw new UsageError(
        'verify-token always checks purpose auth',
        'verify-token は常に認証用（auth）として検証します',
      );
    challenge = values.challenge;
    origin = values.origin;
    inputs = await readTrustInputs(values);
    tokenText = Buffer.from(await readInputFile(positionals[0]!, MAX_TOKEN_FILE_BYTES))
      .toString('utf8')
      .trim();
  } catch (err) {
    return usageFailure('verify-token', err);
  }

  let verifier;
  try {
    verifier = createTokenVerifier({
      ...inputs.validatorOptions,
      ...(inputs.roles === undefined ? {} : { allowedRoles: inputs.roles }),
      now: () => inputs.at,
    });
  } catch (err) {
    return usageFailure('verify-token', trustUsageError(err));
  }
  reportSkipped(verifier.skipped, inputs.sources, 'verify-token');
  const report = await verifier.verifyWithReport(tokenText, {
    origin,
    takeChallenge: () => Promise.resolve({ status: 'ok', challenge }),
  });
  return printSummary(summarizeVerification(report), report.error?.message, 'verify-token');
}
