import type { RegistryTarget } from './locations.js';

/**
 * Windows registration: Chrome, Edge and Firefox find a host through a registry key whose default
 * value is the manifest's path. We generate both a `.reg` file (for `reg import`, or a double click)
 * and a PowerShell script, for the current user (HKCU) or the machine (HKLM).
 */

const HIVE_NAMES: Record<RegistryTarget['hive'], string> = {
  HKCU: 'HKEY_CURRENT_USER',
  HKLM: 'HKEY_LOCAL_MACHINE',
};

function regString(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError('a registry value holds a line break');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function regKey(target: RegistryTarget): string {
  if (/[\]\r\n\0]/.test(target.key)) throw new RangeError('invalid registry key');
  return `${HIVE_NAMES[target.hive]}\\${target.key}`;
}

/** regedit's "Version 5.00" format is UTF-16LE with a BOM; it keeps non-ASCII user names intact. */
function utf16leWithBom(text: string): Uint8Array {
  const body = Buffer.from(text.replaceAll(/\r?\n/g, '\r\n'), 'utf16le');
  return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), body]));
}

export function registerReg(keys: RegistryTarget[], manifestPath: string): Uint8Array {
  const sections = keys.map((k) => `[${regKey(k)}]\n@=${regString(manifestPath)}\n`);
  return utf16leWithBom(`Windows Registry Editor Version 5.00\n\n${sections.join('\n')}`);
}

export function unregisterReg(keys: RegistryTarget[]): Uint8Array {
  const sections = keys.map((k) => `[-${regKey(k)}]\n`);
  return utf16leWithBom(`Windows Registry Editor Version 5.00\n\n${sections.join('\n')}`);
}

function psQuote(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError('a PowerShell argument holds a line break');
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `register.ps1` registers; `register.ps1 -Uninstall` removes exactly the keys it wrote. UTF-8 with
 * a BOM, which Windows PowerShell 5.1 needs to read non-ASCII paths correctly.
 */
export function registerPowerShell(keys: RegistryTarget[], manifestPath: string): Uint8Array {
  const keyList = keys.map((k) => psQuote(`${k.hive}:\\${k.key}`)).join(', ');
  const script = [
    '# jp.hpkilogin.host registration, written by hpki-login install-host',
    'param([switch]$Uninstall)',
    "$ErrorActionPreference = 'Stop'",
    `$manifest = ${psQuote(manifestPath)}`,
    `foreach ($key in @(${keyList})) {`,
    '  if ($Uninstall) {',
    '    if (Test-Path -LiteralPath $key) { Remove-Item -LiteralPath $key -Recurse }',
    '  } else {',
    '    New-Item -Path $key -Force | Out-Null',
    '    Set-Item -LiteralPath $key -Value $manifest',
    '  }',
    '}',
    '',
  ].join('\r\n');
  return new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(script, 'utf8')]));
}

/** The default value (REG_SZ or REG_EXPAND_SZ) in the output of `reg query <key> /ve`, if any. */
export function parseRegDefault(output: string): string | undefined {
  const match = /^\s*\([^)\r\n]*\)\s+REG_(?:EXPAND_)?SZ\s+(.*?)\s*$/m.exec(output);
  return match?.[1] === undefined || match[1] === '' ? undefined : match[1];
}
