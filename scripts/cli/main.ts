/**
 * `hpki-login`: one CLI whose subcommands call into the parts (PROTOCOL.md §9). Each subcommand lives
 * in its own module, loaded only when used, so that `hpki-login host` starts as fast as Node allows.
 * Exit codes: 0 success (or "valid"), 1 a negative outcome, 2 a usage error.
 */
import { cliVersion } from './version.js';

export interface Subcommand {
  /** One line for `hpki-login --help`. */
  summary: string;
  load: () => Promise<{ run: (args: string[]) => Promise<number> }>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  host: { summary: 'the native messaging host on stdio', load: () => import('./host-command.js') },
  demo: {
    summary: 'the demo regional-network portal on http://localhost:8787',
    load: () => import('./demo-command.js'),
  },
  sso: {
    summary: 'the OpenID Provider whose login is the HPKI card; sso rotate-keys',
    load: () => import('./sso-command.js'),
  },
  'mock-card': {
    summary: 'create a virtual HPKI card from the mock PKI, or serve one over vpcd',
    load: () => import('./mock-card-command.js'),
  },
  'verify-cert': {
    summary: 'validate an HPKI certificate offline (path, CRL, role, purpose)',
    load: () => import('./verify-cert-command.js'),
  },
  'verify-token': {
    summary: 'validate a login token offline as the server would',
    load: () => import('./verify-token-command.js'),
  },
  sign: {
    summary: 'sign a local file with the card: CAdES, PAdES (PDF) or XAdES (e-prescription XML)',
    load: () => import('./sign-command.js'),
  },
  'verify-signature': {
    summary: 'verify a signed document offline: signature, attributes, certificate, timestamp',
    load: () => import('./verify-signature-command.js'),
  },
  'install-host': {
    summary: 'install the native host manifest and launcher for a browser',
    load: () => import('./install-host-command.js'),
  },
  'uninstall-host': { summary: 'remove what install-host wrote', load: () => import('./uninstall-host-command.js') },
  doctor: {
    summary: 'check pcscd, readers, card, certificate and host installation',
    load: () => import('./doctor-command.js'),
  },
};

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return `usage: hpki-login <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (sub === undefined) {
    process.stderr.write(
      `hpki-login: '${name}' というコマンドはありません / unknown command '${name}' (使い方 / usage: hpki-login --help)\n`,
    );
    return 2;
  }
  return (await sub.load()).run(rest);
}
