import type { ExtensionIds } from '../install/host-manifest.js';

/**
 * What a manifest must be before its build goes to a store: the store flavour (no development key,
 * no loopback development), the release gecko id for Firefox, and the package's version. A
 * development build uploaded by mistake would trust localhost and carry the public key.
 */

export type StoreBrowser = 'chrome' | 'firefox';

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])\//;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Problems that keep `manifest` out of a store; empty when it may go. */
export function storeManifestProblems(
  browser: StoreBrowser,
  manifest: unknown,
  ids: ExtensionIds,
  version: string,
): string[] {
  const m = record(manifest);
  const problems: string[] = [];
  if (m.manifest_version !== 3) problems.push('manifest_version is not 3');
  if (m.version !== version) problems.push(`version ${String(m.version)} is not the package's ${version}`);
  if ('key' in m) problems.push('carries a key (the development build: its id is public)');
  const scripts = Array.isArray(m.content_scripts) ? m.content_scripts.map(record) : [];
  const patterns = [...strings(m.host_permissions), ...scripts.flatMap((s) => strings(s.matches))];
  if (patterns.some((p) => LOOPBACK.test(p))) problems.push('turns loopback development on');
  const gecko = record(record(m.browser_specific_settings).gecko);
  if (browser === 'firefox') {
    if (gecko.id !== ids.firefox.release)
      problems.push(`gecko id ${String(gecko.id)} is not the release id ${ids.firefox.release}`);
  } else if ('browser_specific_settings' in m) {
    problems.push('has Firefox settings in the Chrome build');
  }
  return problems;
}
