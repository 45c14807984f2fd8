import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';
import type { CardType, ReaderStatus } from '../../protocol/messages.js';
import type { PinStatus } from '../card/card-token.js';
import type { Finding } from './findings.js';
import { finding } from './findings.js';

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

const START_PCSCD = {
  ja: 'sudo systemctl enable --now pcscd.socket を実行してください (パッケージ pcscd が必要)。',
  en: 'Run: sudo systemctl enable --now pcscd.socket (needs the pcscd package).',
};

export function checkPcscd(facts: PcscdFacts): Finding[] {
  if (facts.process) return [finding('pcscd.running', 'ok', { ja: 'pcscd は動作しています。', en: 'pcscd is running.' })];
  if (facts.socket) {
    // systemd socket activation: the socket exists and pcscd starts on the first connection.
    return [finding('pcscd.socket-activated', 'ok', { ja: 'pcscd はソケット起動で待機しています。', en: 'pcscd is waiting on its socket (started on demand).' })];
  }
  return [finding('pcscd.not-running', 'error', { ja: 'pcscd (スマートカードサービス) が動作していません。', en: 'pcscd (the smart card service) is not running.' }, START_PCSCD)];
}

export function checkReaders(facts: ReaderFacts): Finding[] {
  if ('error' in facts) {
    return [
      finding(
        'readers.unavailable',
        'error',
        { ja: `カードリーダーの一覧を取得できません (${facts.error.code}): ${facts.error.message}`, en: `Cannot list card readers (${facts.error.code}): ${facts.error.message}` },
        START_PCSCD,
      ),
    ];
  }
  if (facts.readers.length === 0) {
    return [
      finding(
        'readers.none',
        'error',
        { ja: 'カードリーダーが接続されていません。', en: 'No card reader is connected.' },
        { ja: 'IC カードリーダーを USB に接続してください。接続済みなら抜き差ししてください。', en: 'Plug in a smart card reader; if it is plugged in, unplug and plug it in again.' },
      ),
    ];
  }
  const names = facts.readers.map((r) => r.name).join(', ');
  return [finding('readers.found', 'ok', { ja: `カードリーダー: ${names}`, en: `Card readers: ${names}` })];
}

/** The card found in the readers (or its absence), then its certificate and PIN. */
export function checkCard(readers: ReaderFacts, card: CardFacts | undefined, now: Date): Finding[] {
  if ('error' in readers || readers.readers.length === 0) return [];
  if (card === undefined) {
    return [
      finding(
        'card.none',
        'warning',
        { ja: 'カードが挿入されていません。', en: 'No card is inserted.' },
        { ja: '医師資格証 (HPKI カード) をリーダーに挿入してください。', en: 'Insert your HPKI card (医師資格証) into the reader.' },
      ),
    ];
  }
  if (card.cardType === 'jpki') {
    return [
      finding(
        'card.my-number',
        'error',
        { ja: `${card.reader} のカードはマイナンバーカードです。HPKI カードではありません。`, en: `The card in ${card.reader} is a My Number card, not an HPKI card.` },
        { ja: '医師資格証 (HPKI カード) を挿入してください。', en: 'Insert your HPKI card (医師資格証) instead.' },
      ),
    ];
  }
  if (card.cardType === 'unknown') {
    return [
      finding(
        'card.unknown',
        'error',
        { ja: `${card.reader} のカードは HPKI カードとして認識できません。`, en: `The card in ${card.reader} is not recognised as an HPKI card.` },
        { ja: 'カードの向きと種類を確認し、挿し直してください。', en: 'Check the card type and orientation, and insert it again.' },
      ),
    ];
  }
  const out = [finding('card.hpki', 'ok', { ja: `${card.reader} に HPKI カードがあります。`, en: `HPKI card found in ${card.reader}.` })];
  if (card.certificate === undefined) {
    const why = card.error === undefined ? '' : ` (${card.error.code}: ${card.error.message})`;
    out.push(
      finding(
        'certificate.unreadable',
        'error',
        { ja: `認証用証明書を読み取れません${why}。`, en: `Cannot read the authentication certificate${why}.` },
        { ja: 'カードを挿し直してください。続く場合は発行元に問い合わせてください。', en: 'Insert the card again; if this persists, contact the card issuer.' },
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
  const renew = { ja: '発行元 (日本医師会など) で証明書を更新してください。', en: 'Renew the certificate with its issuer (e.g. the Japan Medical Association).' };
  if (now.getTime() > cert.notAfter.getTime()) {
    return [finding('certificate.expired', 'error', { ja: `証明書 (${who}) は ${until} に有効期限が切れています。`, en: `The certificate (${who}) expired on ${until}.` }, renew)];
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    const from = cert.notBefore.toISOString().slice(0, 10);
    return [
      finding(
        'certificate.not-yet-valid',
        'error',
        { ja: `証明書 (${who}) は ${from} まで有効になりません。`, en: `The certificate (${who}) is not valid before ${from}.` },
        { ja: 'コンピューターの日付と時刻を確認してください。', en: "Check this computer's date and time." },
      ),
    ];
  }
  const daysLeft = Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return [finding('certificate.expires-soon', 'warning', { ja: `証明書 (${who}) はあと ${daysLeft} 日 (${until}) で期限切れになります。`, en: `The certificate (${who}) expires in ${daysLeft} days (${until}).` }, renew)];
  }
  return [finding('certificate.valid', 'ok', { ja: `証明書 (${who}) は ${until} まで有効です。`, en: `The certificate (${who}) is valid until ${until}.` })];
}

export function checkPin(pin: PinStatus): Finding[] {
  if (pin.retriesLeft === 0) {
    return [
      finding(
        'pin.blocked',
        'error',
        { ja: 'PIN がロックされています。', en: 'The PIN is blocked.' },
        { ja: '発行元で PIN ロック解除の手続きをしてください (日本医師会: PIN閉塞解除)。', en: 'Ask the issuer to unblock it (JMA: PIN閉塞解除 by mail).' },
      ),
    ];
  }
  if (pin.retriesLeft < 5) {
    return [
      finding(
        'pin.low',
        'warning',
        { ja: `PIN の残り試行回数は ${pin.retriesLeft} 回です。`, en: `Only ${pin.retriesLeft} PIN tries are left.` },
        { ja: 'PIN が分からない場合は入力せず、発行元に問い合わせてください。', en: 'If unsure of the PIN, do not guess: contact the issuer.' },
      ),
    ];
  }
  return [finding('pin.ok', 'ok', { ja: `PIN の残り試行回数: ${pin.retriesLeft}/${pin.maxRetries}`, en: `PIN tries left: ${pin.retriesLeft}/${pin.maxRetries}` })];
}
