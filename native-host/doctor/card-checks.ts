import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';
import type { CardType, ReaderStatus } from '../../protocol/messages.js';
import type { PcscOs } from '../backends/index.js';
import type { PinStatus } from '../card/index.js';
import type { Finding } from './findings.js';
import { finding } from './findings.js';
import { text } from './texts.js';

/** Checks of the card path: pcscd, readers, the card and its certificate. */

export const EXPIRY_WARNING_DAYS = 60;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PcscdFacts {
  /** The pcscd socket exists (/run/pcscd/pcscd.comm). */
  socket: boolean;
  /** A pcscd process is running. */
  process: boolean;
}

/** Either the reader list, or the protocol error the backend gave instead. */
export type ReaderFacts = { readers: ReaderStatus[] } | { error: { code: string; message: string } };

export interface CardFacts {
  reader: string;
  cardType: CardType;
  /** The authentication certificate, parsed; absent when it could not be read. */
  certificate?: HpkiCertificateInfo;
  pin?: PinStatus;
  /** Why the certificate could not be read. */
  error?: { code: string; message: string };
}

export function checkPcscd(facts: PcscdFacts): Finding[] {
  if (facts.process) return [finding('pcscd.running', 'ok', text('pcscd.running'))];
  if (facts.socket) {
    // systemd socket activation: the socket exists and pcscd starts on the first connection.
    return [finding('pcscd.socket-activated', 'ok', text('pcscd.socket-activated'))];
  }
  return [finding('pcscd.not-running', 'error', text('pcscd.not-running'), text('fix.start-pcscd'))];
}

/** What brings the PC/SC service back on each system (macOS and Windows have it built in). */
function startService(os: PcscOs): ReturnType<typeof text> {
  switch (os) {
    case 'darwin':
      return text('fix.macos-smart-card-service');
    case 'win32':
      return text('fix.windows-smart-card-service');
    default:
      return text('fix.start-pcscd');
  }
}

export function checkReaders(facts: ReaderFacts, os: PcscOs = 'linux'): Finding[] {
  if ('error' in facts) {
    const { code, message } = facts.error;
    return [finding('readers.unavailable', 'error', text('readers.unavailable', { code, message }), startService(os))];
  }
  if (facts.readers.length === 0)
    return [finding('readers.none', 'error', text('readers.none'), text('fix.plug-in-reader'))];
  const names = facts.readers.map((r) => r.name).join(', ');
  return [finding('readers.found', 'ok', text('readers.found', { names }))];
}

/** The card found in the readers (or its absence), then its certificate and PIN. */
export function checkCard(readers: ReaderFacts, card: CardFacts | undefined, now: Date): Finding[] {
  if ('error' in readers || readers.readers.length === 0) return [];
  if (card === undefined) return [finding('card.none', 'warning', text('card.none'), text('fix.insert-card'))];
  const { reader } = card;
  if (card.cardType === 'jpki')
    return [finding('card.my-number', 'error', text('card.my-number', { reader }), text('fix.insert-hpki-card'))];
  if (card.cardType === 'unknown')
    return [finding('card.unknown', 'error', text('card.unknown', { reader }), text('fix.reinsert-card'))];
  const out = [finding('card.hpki', 'ok', text('card.hpki', { reader }))];
  if (card.certificate === undefined) {
    const detail = card.error === undefined ? '' : ` (${card.error.code}: ${card.error.message})`;
    out.push(
      finding(
        'certificate.unreadable',
        'error',
        text('certificate.unreadable', { detail }),
        text('fix.reinsert-or-contact-issuer'),
      ),
    );
    return out;
  }
  out.push(...checkCertificate(card.certificate, now));
  if (card.pin !== undefined) out.push(...checkPin(card.pin));
  return out;
}

export function checkCertificate(cert: HpkiCertificateInfo, now: Date): Finding[] {
  const who = `${cert.subjectName}${cert.nameJa === undefined ? '' : ` (${cert.nameJa})`}${cert.hcRole === undefined ? '' : `, ${cert.hcRole}`}`;
  const until = cert.notAfter.toISOString().slice(0, 10);
  if (now.getTime() > cert.notAfter.getTime()) {
    return [
      finding(
        'certificate.expired',
        'error',
        text('certificate.expired', { who, until }),
        text('fix.renew-certificate'),
      ),
    ];
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    const from = cert.notBefore.toISOString().slice(0, 10);
    return [
      finding(
        'certificate.not-yet-valid',
        'error',
        text('certificate.not-yet-valid', { who, from }),
        text('fix.check-clock'),
      ),
    ];
  }
  const days = Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) {
    return [
      finding(
        'certificate.expires-soon',
        'warning',
        text('certificate.expires-soon', { who, days, until }),
        text('fix.renew-certificate'),
      ),
    ];
  }
  return [finding('certificate.valid', 'ok', text('certificate.valid', { who, until }))];
}

export function checkPin(pin: PinStatus): Finding[] {
  const left = pin.retriesLeft;
  if (left === 0) return [finding('pin.blocked', 'error', text('pin.blocked'), text('fix.unblock-pin'))];
  if (left < 5) return [finding('pin.low', 'warning', text('pin.low', { left }), text('fix.do-not-guess-pin'))];
  return [finding('pin.ok', 'ok', text('pin.ok', { left, max: pin.maxRetries }))];
}
