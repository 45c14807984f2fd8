/**
 * A command line the command cannot run: its message says what is wrong, and the CLI exits 2
 * (PROTOCOL.md §9). One class for every subcommand; `ja` is the same message in Japanese, printed
 * before the English.
 */
export class UsageError extends Error {
  /** The same in Japanese, printed before the English. */
  readonly ja: string;
  constructor(message: string, ja: string) {
    super(message);
    this.name = 'UsageError';
    this.ja = ja;
  }
}

/** The option or argument a node:util parseArgs message names in quotes, without its `<value>`. */
function quoted(message: string): string {
  return (/'([^']*)'/.exec(message)?.[1] ?? '').replace(/ <value>$/, '');
}

/**
 * A node:util parseArgs error in plain words, in Japanese and English; anything else is thrown on
 * (a bug, not a command line).
 */
export function parseArgsUsageError(err: unknown): UsageError {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (!(err instanceof Error) || !code.startsWith('ERR_PARSE_ARGS')) throw err;
  const name = quoted(err.message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`unknown option ${name}`, `${name} というオプションはありません`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`unexpected argument ${name}`, `余分な引数 ${name} があります`);
  if (/does not take/.test(err.message)) return new UsageError(`${name} takes no value`, `${name} には値を付けません`);
  return new UsageError(`${name} needs a value`, `${name} には値が必要です`);
}

/**
 * A usage error on one line: what is wrong, then where the usage is. The whole usage is printed only
 * on request (`--help`), so the line that matters is not lost above it. In Japanese and English, like
 * `doctor`.
 */
export function usageErrorLine(command: string, message: string, ja?: string): string {
  const text = ja === undefined ? message : `${ja} / ${message}`;
  return `hpki-login ${command}: ${text} (使い方 / usage: hpki-login ${command} --help)\n`;
}

/** The one line of a UsageError. */
export function usageErrorLineOf(command: string, err: UsageError): string {
  return usageErrorLine(command, err.message, err.ja);
}
