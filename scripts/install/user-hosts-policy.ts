import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Finding } from '../../native-host/doctor/findings.js';
import { finding } from '../../native-host/doctor/findings.js';
import { text } from '../../native-host/doctor/texts.js';
import type { ManifestFacts } from './install-checks.js';
import type { TargetOs } from './locations.js';

/**
 * The enterprise policy `NativeMessagingUserLevelHosts` (Chrome, Chromium, Edge), set to false/0 on
 * many hospital PCs: the browser then ignores every per-user host manifest (HKCU, ~/.config,
 * ~/Library), and only a per-machine install works (the MSI, the .deb, `install-host --system`).
 * Where each browser reads it: Windows `HKLM|HKCU\SOFTWARE\Policies\<vendor key>` (REG_DWORD),
 * Linux `<policy dir>/managed/*.json`, macOS the managed preferences of its bundle id. Firefox has no
 * such policy.
 */

const execFileAsync = promisify(execFile);
export const POLICY = 'NativeMessagingUserLevelHosts';
export type PolicyBrowser = 'chrome' | 'chromium' | 'edge';

const WINDOWS_KEYS: Record<PolicyBrowser, string> = {
  chrome: 'SOFTWARE\\Policies\\Google\\Chrome',
  chromium: 'SOFTWARE\\Policies\\Chromium',
  edge: 'SOFTWARE\\Policies\\Microsoft\\Edge',
};
const LINUX_DIRS: Record<PolicyBrowser, string> = {
  chrome: '/etc/opt/chrome/policies/managed',
  chromium: '/etc/chromium/policies/managed',
  edge: '/etc/opt/edge/policies/managed',
};
const MACOS_DOMAINS: Record<PolicyBrowser, string> = {
  chrome: 'com.google.Chrome',
  chromium: 'org.chromium.Chromium',
  edge: 'com.microsoft.Edge',
};
const BROWSERS = Object.keys(WINDOWS_KEYS) as PolicyBrowser[];
const MAX_POLICY_BYTES = 1024 * 1024;

/** A browser whose policy turns per-user hosts off, and where that was read. */
export interface UserHostsPolicy {
  browser: PolicyBrowser;
  source: string;
}

/** The DWORD value `reg query <key> /v NativeMessagingUserLevelHosts` printed, if any. */
export function parseRegDword(output: string): number | undefined {
  const match = new RegExp(`^\\s*${POLICY}\\s+REG_DWORD\\s+0x([0-9a-fA-F]+)\\s*$`, 'm').exec(output);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}

/** Whether a Linux managed-policy JSON file turns per-user hosts off. */
export function jsonDisablesUserHosts(textValue: string): boolean {
  try {
    const value: unknown = JSON.parse(textValue);
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[POLICY] === false;
  } catch {
    return false;
  }
}

async function windowsPolicies(): Promise<UserHostsPolicy[]> {
  const found: UserHostsPolicy[] = [];
  for (const browser of BROWSERS) {
    for (const hive of ['HKLM', 'HKCU']) {
      const key = `${hive}\\${WINDOWS_KEYS[browser]}`;
      const out = await execFileAsync('reg.exe', ['query', key, '/v', POLICY]).catch(() => ({ stdout: '' }));
      if (parseRegDword(out.stdout) === 0) found.push({ browser, source: key });
    }
  }
  return found;
}

async function linuxPolicies(root: string): Promise<UserHostsPolicy[]> {
  const found: UserHostsPolicy[] = [];
  for (const browser of BROWSERS) {
    const dir = join(root, LINUX_DIRS[browser]);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || !info.isFile() || info.size > MAX_POLICY_BYTES) continue;
      if (jsonDisablesUserHosts(await readFile(file, 'utf8'))) found.push({ browser, source: file });
    }
  }
  return found;
}

async function macosPolicies(): Promise<UserHostsPolicy[]> {
  const found: UserHostsPolicy[] = [];
  for (const browser of BROWSERS) {
    const domain = `/Library/Managed Preferences/${MACOS_DOMAINS[browser]}`;
    const out = await execFileAsync('defaults', ['read', domain, POLICY]).catch(() => ({ stdout: '' }));
    if (out.stdout.trim() === '0') found.push({ browser, source: `${domain}.plist` });
  }
  return found;
}

/** The policies in force on this machine (`root` redirects the Linux policy folders, for tests). */
export async function gatherUserHostsPolicy(os: TargetOs, root = '/'): Promise<UserHostsPolicy[]> {
  if (os === 'win32') return process.platform === 'win32' ? windowsPolicies() : [];
  if (os === 'darwin') return process.platform === 'darwin' ? macosPolicies() : [];
  return linuxPolicies(root);
}

/**
 * One finding per browser whose policy turns per-user hosts off: an error when that browser's only
 * host manifest is a per-user one (it will never start), a warning otherwise.
 */
export function checkUserHostsPolicy(policies: UserHostsPolicy[], manifests: ManifestFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const browser of BROWSERS) {
    const mine = policies.filter((p) => p.browser === browser);
    if (mine.length === 0) continue;
    const sources = mine.map((p) => p.source).join(', ');
    const present = manifests.filter((m) => m.browser === browser && m.state === 'present');
    const blocked = present.length > 0 && present.every((m) => m.scope !== 'system');
    const fix = text('fix.install-per-machine', { browser });
    out.push(
      blocked
        ? finding('policy.user-hosts-blocked', 'error', text('policy.user-hosts-blocked', { browser, sources }), fix)
        : finding(
            'policy.user-hosts-disabled',
            'warning',
            text('policy.user-hosts-disabled', { browser, sources }),
            fix,
          ),
    );
  }
  return out;
}
