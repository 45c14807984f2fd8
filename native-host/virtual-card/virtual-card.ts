import { setTimeout as sleep } from 'node:timers/promises';
import type { ApduResponder } from '../transport/index.js';
import { HPKI_ATR, JPKI_ATR } from './atr.js';
import { type CardFile, loadCardFile, saveCardFile } from './card-file.js';
import { type CardContext, JPKI_AID, loadApplication, newSession, startsWith } from './card-state.js';
import { type CommandApdu, isExtendedLength, parseCommandApdu } from './command-apdu.js';
import { readBinary, select } from './file-commands.js';
import {
  changeReferenceData,
  computeDigitalSignature,
  manageSecurityEnvironment,
  proprietarySign,
  verify,
} from './security-commands.js';
import { respond, SW } from './status-words.js';

/**
 * The virtual HPKI card: an APDU state machine that answers like a JMA/MEDIS card (HPKI-CARD.md
 * §1–§4), so that the driver above it cannot tell the difference. Also a My Number card that only
 * answers card detection.
 */

export interface VirtualCardTweaks {
  /** Signing commands (PSO:CDS, 80 2A) stall this long in processAsync(): time to pull the card. */
  signDelayMs?: number;
  /**
   * The answer to VERIFY with a PIN once the counter is 0. Default 6984 ("referenced IEF blocked",
   * JAHIS C.3.4); 6983 ("authentication method blocked", ISO 7816-4) is what some cards say instead.
   */
  blockedStatusWord?: 0x6983 | 0x6984;
  /** Which signing forms the card implements (both by default), to exercise a driver's fallback. */
  signingForms?: { iso: boolean; proprietary: boolean };
  /**
   * Whether the card takes extended-length commands (true by default, as JAHIS cards do: PSO:CDS form A
   * is extended). False answers every extended command 6700, as a card without it does, so a driver's
   * fallback to short READ BINARY and chained PSO:CDS can be tested.
   */
  extendedLength?: boolean;
}

/** An ApduResponder whose signing commands can take time, as a real card's do. */
export interface VirtualCard extends ApduResponder {
  /**
   * process(), but signing commands wait `signDelayMs` first. Rejects with CardResetDuringCommandError
   * when reset() runs meanwhile (the card was pulled): the command then has no effect.
   */
  processAsync(command: Uint8Array): Promise<Uint8Array>;
}

export class CardResetDuringCommandError extends Error {
  constructor() {
    super('the card was reset or removed while it was processing a command');
    this.name = 'CardResetDuringCommandError';
  }
}

/** The longest data a command chain may gather: a 256-byte block and room to spare. */
const MAX_CHAIN_BYTES = 1024;
const CLA_CHAIN = 0x10;
const CLA_PROPRIETARY = 0x80;
const INS = { SELECT: 0xa4, READ_BINARY: 0xb0, VERIFY: 0x20, CHANGE: 0x24, MSE: 0x22, PSO: 0x2a } as const;

function isSigningCommand(command: Uint8Array): boolean {
  return command.length >= 4 && command[1] === INS.PSO && (command[0]! & CLA_CHAIN) === 0;
}

/** Gathers CLA 10 parts (ISO 7816-4 §5.3.3); returns the command to run, or a response to send now. */
function chain(card: CardContext, c: CommandApdu): CommandApdu | Uint8Array {
  const pending = card.session.chain;
  if (c.cla === CLA_CHAIN) {
    if (c.ins !== INS.PSO) {
      card.session.chain = undefined;
      return respond(SW.CHAINING_NOT_SUPPORTED);
    }
    const same = pending !== undefined && pending.ins === c.ins && pending.p1 === c.p1 && pending.p2 === c.p2;
    const parts = same ? [...pending.parts, c.data] : [c.data];
    const length = (same ? pending.length : 0) + c.data.length;
    if (length > MAX_CHAIN_BYTES) {
      card.session.chain = undefined;
      return respond(SW.WRONG_LENGTH);
    }
    card.session.chain = { ins: c.ins, p1: c.p1, p2: c.p2, parts, length };
    return respond(SW.OK);
  }
  card.session.chain = undefined;
  if (pending === undefined || pending.ins !== c.ins || pending.p1 !== c.p1 || pending.p2 !== c.p2) return c;
  const data = new Uint8Array(pending.length + c.data.length);
  let offset = 0;
  for (const part of [...pending.parts, c.data]) {
    data.set(part, offset);
    offset += part.length;
  }
  return { ...c, data };
}

function dispatch(card: CardContext, bytes: Uint8Array): Uint8Array {
  if (!card.extendedLength && isExtendedLength(bytes)) {
    card.session.chain = undefined;
    return respond(SW.WRONG_LENGTH);
  }
  const parsed = parseCommandApdu(bytes);
  if (!parsed.ok) {
    card.session.chain = undefined;
    return respond(parsed.sw);
  }
  const { command } = parsed;
  if (command.cla === CLA_PROPRIETARY) {
    card.session.chain = undefined;
    if (command.ins !== INS.PSO) return respond(SW.INS_NOT_SUPPORTED);
    return card.signingForms.proprietary ? proprietarySign(card, command) : respond(SW.CLA_NOT_SUPPORTED);
  }
  if (command.cla !== 0x00 && command.cla !== CLA_CHAIN) {
    card.session.chain = undefined;
    const logicalChannel = (command.cla & 0xe0) === 0 && (command.cla & 0x03) !== 0;
    return respond(logicalChannel ? SW.LOGICAL_CHANNEL_NOT_SUPPORTED : SW.CLA_NOT_SUPPORTED);
  }
  const chained = chain(card, command);
  if (chained instanceof Uint8Array) return chained;
  const c = chained;
  switch (c.ins) {
    case INS.SELECT:
      return select(card, c);
    case INS.READ_BINARY:
      return readBinary(card, c);
    case INS.VERIFY:
      return verify(card, c);
    case INS.CHANGE:
      return changeReferenceData(card, c);
    case INS.MSE:
      return card.signingForms.iso ? manageSecurityEnvironment(card, c) : respond(SW.INS_NOT_SUPPORTED);
    case INS.PSO:
      return card.signingForms.iso ? computeDigitalSignature(card, c) : respond(SW.INS_NOT_SUPPORTED);
    default:
      return respond(SW.INS_NOT_SUPPORTED);
  }
}

/**
 * A My Number card as far as detection goes: the JPKI AP is selectable (P2=0C answers 9000 without
 * FCI), every HPKI AID is not found, and nothing else is modelled.
 */
function myNumberCardResponse(bytes: Uint8Array): Uint8Array {
  const parsed = parseCommandApdu(bytes);
  if (!parsed.ok) return respond(parsed.sw);
  const c = parsed.command;
  if (c.cla !== 0x00) return respond(SW.CLA_NOT_SUPPORTED);
  if (c.ins !== INS.SELECT && c.ins !== INS.READ_BINARY && c.ins !== INS.VERIFY && c.ins !== INS.PSO) {
    return respond(SW.INS_NOT_SUPPORTED);
  }
  if (c.ins === INS.SELECT && c.p1 === 0x04 && c.data.length === JPKI_AID.length && startsWith(JPKI_AID, c.data)) {
    return respond(SW.OK);
  }
  return respond(SW.FILE_NOT_FOUND);
}

function responderWithDelay(
  atr: Uint8Array,
  process: (command: Uint8Array) => Uint8Array,
  reset: () => void,
  signDelayMs: number,
): VirtualCard {
  let resets = 0;
  return {
    atr: () => atr.slice(),
    reset() {
      resets += 1;
      reset();
    },
    process,
    async processAsync(command) {
      if (signDelayMs > 0 && isSigningCommand(command)) {
        const before = resets;
        await sleep(signDelayMs);
        if (resets !== before) throw new CardResetDuringCommandError();
      }
      return process(command);
    },
  };
}

/**
 * A virtual card from a card file (its PIN counters are written back to the file on every change,
 * so a locked card stays locked) or from data in memory (counters kept in memory only). The
 * synchronous process() never waits; only processAsync() honours `signDelayMs`.
 */
export function createVirtualCard(
  options: { path: string } | { data: CardFile },
  tweaks: VirtualCardTweaks = {},
): VirtualCard {
  const signDelayMs = tweaks.signDelayMs ?? 0;
  if (!Number.isFinite(signDelayMs) || signDelayMs < 0)
    throw new RangeError('signDelayMs must be a non-negative number');
  const file: CardFile = 'path' in options ? loadCardFile(options.path) : structuredClone(options.data);
  if (file.kind === 'jpki') return responderWithDelay(JPKI_ATR, myNumberCardResponse, () => {}, 0);
  const card: CardContext = {
    applications: [loadApplication('sign', file.applications.sign), loadApplication('auth', file.applications.auth)],
    session: newSession(),
    blockedStatusWord: tweaks.blockedStatusWord ?? SW.REFERENCE_DATA_BLOCKED,
    signingForms: tweaks.signingForms ?? { iso: true, proprietary: true },
    extendedLength: tweaks.extendedLength ?? true,
    // The applications hold the very PIN records of `file`, so saving the file saves the counters.
    persistPin: 'path' in options ? () => saveCardFile(options.path, file) : () => {},
  };
  return responderWithDelay(
    HPKI_ATR,
    (command) => {
      try {
        return dispatch(card, command);
      } catch {
        // Only a failed write of the counter gets here: a card whose EEPROM write fails says 6F00.
        return respond(SW.NO_PRECISE_DIAGNOSIS);
      }
    },
    () => {
      card.session = newSession();
    },
    signDelayMs,
  );
}
