import { tlv } from '../../protocol/der-writer.js';
import { type CardApplication, type CardContext, startsWith } from './card-state.js';
import type { CommandApdu } from './command-apdu.js';
import { type ElementaryFile, sfiOf } from './pkcs15-layout.js';
import { respond, SW } from './status-words.js';

/** SELECT (JAHIS C.2) and READ BINARY (C.4) of the HPKI virtual card. */

const P2_NEXT = 0x02;
const P2_NO_RESPONSE = 0x0c;

/** `6F 12 84 10 <AID>`: the FCI with the DF name, as the real card answers (HPKI-CARD.md §2). */
function fci(aid: Uint8Array): Uint8Array {
  return tlv(0x6f, tlv(0x84, aid));
}

/** FCP of an EF (ISO 7816-4 §7.4.3): size, transparent working EF, FID. */
function fcp(file: ElementaryFile): Uint8Array {
  const size = Uint8Array.of((file.data.length >> 8) & 0xff, file.data.length & 0xff);
  return tlv(
    0x62,
    tlv(0x80, size),
    tlv(0x82, Uint8Array.of(0x01)),
    tlv(0x83, Uint8Array.of(file.fid >> 8, file.fid & 0xff)),
  );
}

function enterApplication(card: CardContext, app: CardApplication): void {
  // Selecting an application (again) starts a fresh security state there: the PIN must be presented anew.
  card.session.current = app;
  card.session.currentEf = undefined;
  card.session.verified.clear();
  card.session.signingKeySet = false;
}

function selectByName(card: CardContext, c: CommandApdu): Uint8Array {
  if (c.data.length < 1 || c.data.length > 16) return respond(SW.WRONG_LENGTH);
  const occurrence = c.p2 & 0x03;
  const answer = c.p2 & 0x0c;
  if (
    (c.p2 & 0xf0) !== 0 ||
    (occurrence !== 0 && occurrence !== P2_NEXT) ||
    (answer !== 0 && answer !== P2_NO_RESPONSE)
  ) {
    return respond(SW.WRONG_P1P2);
  }
  const candidates = card.applications.filter((app) => startsWith(app.aid, c.data));
  const current = card.session.current;
  const after = occurrence === P2_NEXT && current !== undefined ? candidates.indexOf(current) + 1 : 0;
  const app = candidates[after];
  if (app === undefined) return respond(SW.FILE_NOT_FOUND);
  enterApplication(card, app);
  return answer === P2_NO_RESPONSE ? respond(SW.OK) : respond(SW.OK, fci(app.aid));
}

function selectEf(card: CardContext, c: CommandApdu): Uint8Array {
  if (c.data.length !== 2) return respond(SW.WRONG_LENGTH);
  if (c.p2 !== P2_NO_RESPONSE && c.p2 !== 0x00 && c.p2 !== 0x04) return respond(SW.WRONG_P1P2);
  const file = card.session.current?.files.get((c.data[0]! << 8) | c.data[1]!);
  if (file === undefined) return respond(SW.FILE_NOT_FOUND);
  card.session.currentEf = file;
  return c.p2 === P2_NO_RESPONSE ? respond(SW.OK) : respond(SW.OK, fcp(file));
}

export function select(card: CardContext, c: CommandApdu): Uint8Array {
  if (c.p1 === 0x04) return selectByName(card, c);
  if (c.p1 === 0x00 || c.p1 === 0x02) return selectEf(card, c);
  return respond(SW.WRONG_P1P2);
}

export function readBinary(card: CardContext, c: CommandApdu): Uint8Array {
  if (c.data.length !== 0 || c.ne === undefined) return respond(SW.WRONG_LENGTH);
  let file: ElementaryFile | undefined;
  let offset: number;
  if ((c.p1 & 0x80) !== 0) {
    const sfi = c.p1 & 0x1f;
    if ((c.p1 & 0x60) !== 0 || sfi === 0 || sfi === 0x1f) return respond(SW.WRONG_P1P2);
    const app = card.session.current;
    file = app === undefined ? undefined : [...app.files.values()].find((f) => sfiOf(f.fid) === sfi);
    if (file === undefined) return respond(SW.FILE_NOT_FOUND);
    card.session.currentEf = file;
    offset = c.p2;
  } else {
    file = card.session.currentEf;
    if (file === undefined) return respond(SW.NO_CURRENT_EF);
    offset = (c.p1 << 8) | c.p2;
  }
  if (!file.readable) return respond(SW.SECURITY_NOT_SATISFIED);
  if (offset >= file.data.length) return respond(SW.OFFSET_OUTSIDE_EF);
  const data = file.data.subarray(offset, offset + c.ne);
  // ISO 7816-4: fewer bytes than an explicit Le is a warning; "Le = 00…" means "all there is".
  return respond(data.length < c.ne && !c.neIsMaximum ? SW.END_OF_FILE : SW.OK, data);
}
