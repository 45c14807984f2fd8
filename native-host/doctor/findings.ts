/**
 * A doctor finding: one line for the user, in Japanese and English, with what to do. Checks are
 * pure functions from gathered facts to findings, so each can be tested without the machine state.
 */

export type Severity = 'ok' | 'info' | 'warning' | 'error';

export interface Text {
  ja: string;
  en: string;
}

export interface Finding {
  /** Stable identifier, e.g. "pcscd.not-running", for scripts reading `--json`. */
  id: string;
  severity: Severity;
  message: Text;
  /** What to do about it; absent for findings that need nothing. */
  fix?: Text;
}

export function finding(id: string, severity: Severity, message: Text, fix?: Text): Finding {
  return fix === undefined ? { id, severity, message } : { id, severity, message, fix };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
