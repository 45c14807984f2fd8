import type { Finding, Severity } from './findings.js';
import { hasErrors } from './findings.js';
import { text } from './texts.js';

/** Doctor output: one line per finding (plus its fix), or one JSON object. */

const MARK: Record<Severity, string> = { ok: '[ok]   ', info: '[info] ', warning: '[warn] ', error: '[error]' };

export function formatText(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${MARK[f.severity]} ${f.message.ja} / ${f.message.en}`);
    if (f.fix !== undefined) lines.push(`        → ${f.fix.ja} / ${f.fix.en}`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  lines.push(summaryLine(errors, warnings));
  return `${lines.join('\n')}\n`;
}

function summaryLine(errors: number, warnings: number): string {
  const summary =
    errors === 1
      ? text('summary.one-error')
      : errors > 1
        ? text('summary.errors', { errors })
        : warnings === 1
          ? text('summary.no-errors-one-warning')
          : text('summary.no-errors', { warnings });
  return `${summary.ja} / ${summary.en}`;
}

export function formatJson(findings: readonly Finding[]): string {
  return `${JSON.stringify({ ok: !hasErrors(findings), findings }, null, 2)}\n`;
}
