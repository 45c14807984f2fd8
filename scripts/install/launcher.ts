/**
 * The launcher a host manifest points to. Browsers start `path` with no way to pass options, so the
 * launcher carries them: the absolute Node runtime, this package's CLI and `host` with the backend
 * options chosen at install time. Browser arguments (the caller's origin, the manifest path) are
 * deliberately not forwarded: the host takes the caller's identity from nowhere but the protocol.
 */

export const LAUNCHER_MARKER = 'jp.hpkilogin.host launcher, written by hpki-login';

export interface LauncherSpec {
  /** Absolute path of the Node runtime. */
  node: string;
  /** Absolute path of `bin/hpki-login.js`. */
  cli: string;
  /** Arguments after `hpki-login`, starting with `host`. */
  args: string[];
}

/** POSIX shell single-quoting: safe for any byte string without NUL. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new RangeError('NUL in a launcher argument');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function posixLauncher(spec: LauncherSpec): string {
  const words = [spec.node, spec.cli, ...spec.args].map(shellQuote).join(' ');
  return `#!/bin/sh\n# ${LAUNCHER_MARKER}\nexec ${words}\n`;
}

/**
 * cmd.exe quoting: double quotes, `%` doubled so variables are not expanded. Windows paths cannot
 * hold `"`, and a line break would end the command, so both are refused.
 */
export function cmdQuote(value: string): string {
  if (/["\r\n\0]/.test(value)) throw new RangeError('a launcher argument holds a quote or a line break');
  return `"${value.replaceAll('%', '%%')}"`;
}

export function cmdLauncher(spec: LauncherSpec): string {
  const words = [spec.node, spec.cli, ...spec.args].map(cmdQuote).join(' ');
  return `@echo off\r\nrem ${LAUNCHER_MARKER}\r\n${words}\r\n`;
}

/** The `host` arguments for the chosen backend. */
export interface HostOptions {
  backend: 'pcsc' | 'pkcs11' | 'mock';
  /** Virtual card file, with the mock backend. */
  card?: string;
  /** PKCS#11 module, with the pkcs11 backend. */
  module?: string;
}

export function hostArguments(options: HostOptions): string[] {
  const args = ['host', '--backend', options.backend];
  if (options.card !== undefined) args.push('--card', options.card);
  if (options.module !== undefined) args.push('--module', options.module);
  return args;
}

/**
 * The words of the `exec` line of a launcher we wrote (the inverse of posixLauncher), or undefined
 * for any other script: doctor reads them to check that the runtime and CLI still exist.
 */
export function parsePosixLauncher(text: string): string[] | undefined {
  if (!text.includes(LAUNCHER_MARKER)) return undefined;
  const line = text.split('\n').find((l) => l.startsWith('exec '));
  if (line === undefined) return undefined;
  const words: string[] = [];
  const word = /'((?:[^']|'\\'')*)'(?: |$)/y;
  word.lastIndex = 'exec '.length;
  while (word.lastIndex < line.length) {
    const match = word.exec(line);
    if (match === null || match[1] === undefined) return undefined;
    words.push(match[1].replaceAll(`'\\''`, "'"));
  }
  return words;
}

/**
 * A `.cmd` launcher that finds the runtime and the CLI beside itself (`%~dp0` is the folder of the
 * running script, with a trailing backslash), wherever the installer put that folder: the MSI's.
 * `node` and `cli` are relative Windows paths below that folder.
 */
export function relativeCmdLauncher(node: string, cli: string, args: string[]): string {
  for (const part of [node, cli]) {
    if (!/^[A-Za-z0-9._\\-]+$/.test(part) || part.startsWith('\\') || part.includes('..'))
      throw new RangeError(`not a plain relative path: ${part}`);
  }
  const words = [`"%~dp0${node}"`, `"%~dp0${cli}"`, ...args.map(cmdQuote)].join(' ');
  return `@echo off\r\nrem ${LAUNCHER_MARKER}\r\n${words}\r\n`;
}
