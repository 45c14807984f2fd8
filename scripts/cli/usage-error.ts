/**
 * A usage error on one line: what is wrong, then where the usage is. The whole usage is printed only
 * on request (`--help`), so the line that matters is not lost above it.
 */
export function usageErrorLine(command: string, message: string): string {
  return `hpki-login ${command}: ${message} (使い方 / usage: hpki-login ${command} --help)\n`;
}
