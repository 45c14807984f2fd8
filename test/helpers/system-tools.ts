import { existsSync } from 'node:fs';

/**
 * Whether a suite's system tools are on this machine. On a developer's machine a missing tool skips
 * the suite with a warning; under CI (`CI=true`), which installs every tool, it fails the suite, so a
 * broken install step can never pass as a skip.
 */
export function systemToolsPresent(suite: string, paths: readonly string[], needsRoot = false): boolean {
  const missing = paths.filter((p) => !existsSync(p));
  if (needsRoot && process.getuid?.() !== 0) missing.push('root (run the suite as root, as CI does)');
  if (missing.length === 0) return true;
  const message = `${suite}: missing ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${message} — CI installs every tool, so this is an install failure`);
  console.warn(`${message}: skipped`);
  return false;
}
