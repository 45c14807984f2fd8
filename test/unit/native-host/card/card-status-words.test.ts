import { describe, expect, it } from 'vitest';
import * as driver from '../../../../native-host/card/constants.js';
import {
  checkStatusWord,
  describeStatusWord,
  meansPinBlocked,
  STATUS_WORDS,
  SW,
} from '../../../../native-host/card/status-words.js';
import { HPKI_AUTH_AID, HPKI_RID, HPKI_SIGN_AID } from '../../../../native-host/virtual-card/card-state.js';
import { FID, PIN_REFERENCE } from '../../../../native-host/virtual-card/pkcs15-layout.js';
import { SW as CARD_SW } from '../../../../native-host/virtual-card/status-words.js';

describe("the driver's status-word table", () => {
  it('has one entry per word, named as its SW constant', () => {
    expect(new Set(STATUS_WORDS.map((e) => e.sw)).size).toBe(STATUS_WORDS.length);
    for (const e of STATUS_WORDS) expect(SW[e.name], e.name).toBe(e.sw);
  });

  it('agrees with the virtual card, the independent oracle: same word, same name', () => {
    const cardNames = new Map(Object.entries(CARD_SW).map(([name, sw]) => [sw, name]));
    for (const e of STATUS_WORDS) {
      if (cardNames.has(e.sw)) expect(cardNames.get(e.sw), e.sw.toString(16)).toBe(e.name);
    }
    // Every word the virtual card can answer is known to the driver.
    for (const [name, sw] of Object.entries(CARD_SW)) {
      if (
        [
          'LOGICAL_CHANNEL_NOT_SUPPORTED',
          'LAST_COMMAND_OF_CHAIN_EXPECTED',
          'CHAINING_NOT_SUPPORTED',
          'NO_PRECISE_DIAGNOSIS',
        ].includes(name)
      )
        continue;
      expect(checkStatusWord(sw).kind, name).toBe('known');
    }
  });

  it('recognises 63Cx and 6Cxx before the table', () => {
    expect(checkStatusWord(0x63c7)).toEqual({ kind: 'retries', sw: 0x63c7, retriesLeft: 7 });
    expect(checkStatusWord(0x6c10)).toEqual({ kind: 'wrong-le', sw: 0x6c10, le: 16 });
    expect(checkStatusWord(0x6c00)).toMatchObject({ kind: 'wrong-le', le: 256 });
    expect(checkStatusWord(0x6f00)).toEqual({ kind: 'unknown', sw: 0x6f00 });
    expect(describeStatusWord(0x63c2)).toBe('63C2: wrong PIN, 2 tries left');
    expect(describeStatusWord(0x6984)).toContain('PIN locked');
  });

  it('reads 6983, 6984 and 63C0 as a locked PIN, 63C1 and 6982 not', () => {
    for (const sw of [0x6983, 0x6984, 0x63c0]) expect(meansPinBlocked(checkStatusWord(sw)), sw.toString(16)).toBe(true);
    for (const sw of [0x63c1, 0x6982, 0x9000])
      expect(meansPinBlocked(checkStatusWord(sw)), sw.toString(16)).toBe(false);
  });
});

describe("the driver's card identifiers agree with the virtual card's", () => {
  it('AIDs, FIDs and the PIN reference', () => {
    expect(driver.HPKI_RID).toEqual(HPKI_RID);
    expect(driver.HPKI_AUTH_AID).toEqual(HPKI_AUTH_AID);
    expect(driver.HPKI_SIGN_AID).toEqual(HPKI_SIGN_AID);
    expect(driver.FID_CERTIFICATE).toBe(FID.CERTIFICATE);
    expect(driver.FID_PRIVATE_KEY).toBe(FID.PRIVATE_KEY);
    expect(driver.FID_CDF).toBe(FID.CDF);
    expect(driver.PIN_REFERENCE).toBe(PIN_REFERENCE);
  });
});
