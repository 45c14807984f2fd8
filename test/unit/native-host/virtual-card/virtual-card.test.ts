import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import {
  type CardFile,
  createCardFile,
  createVirtualCard,
  loadCardFile,
  type VirtualCard,
} from '../../../../native-host/virtual-card/index.js';
import {
  AUTH_AID,
  authCertificate,
  authReady,
  hexLen,
  hexOf,
  PIN,
  SIGN_AID,
  selectAid,
  selectEf,
  send,
  sw,
} from '../../../helpers/card-apdu.js';

let dir: string;
let pki: MockPki;
let data: CardFile;

function readWholeEf(card: VirtualCard, fid: string): Uint8Array {
  expect(sw(card, selectEf(fid))).toBe('9000');
  const chunks: Uint8Array[] = [];
  for (let offset = 0; ; offset += 256) {
    const r = send(card, `00b0${offset.toString(16).padStart(4, '0')}00`);
    if (r.sw === '6b00') break;
    expect(r.sw).toBe('9000');
    chunks.push(r.data);
    if (r.data.length < 256) break;
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** DER object at the start of an EF (the EF is zero-filled after it). */
function derPrefix(ef: Uint8Array): Uint8Array {
  const parsed = asn1js.fromBER(ef);
  expect(parsed.offset).toBeGreaterThan(0);
  return ef.subarray(0, parsed.offset);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'virtual-card-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  await createCardFile(join(dir, 'doctor.card'), {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: PIN,
  });
  data = loadCardFile(join(dir, 'doctor.card'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('virtual HPKI card: answer to reset', () => {
  it('has the contactless HPKI historical bytes and a valid TCK', () => {
    const atr = createVirtualCard({ data }).atr();
    expect(hexOf(atr.subarray(4, 12))).toBe('004e0000f781d100');
    expect(atr.subarray(1).reduce((x, b) => x ^ b, 0)).toBe(0);
  });
});

describe('virtual HPKI card: selection', () => {
  it('selects both APs by AID and answers the FCI 6F 12 84 10 <AID>', () => {
    const card = createVirtualCard({ data });
    for (const aid of [AUTH_AID, SIGN_AID]) {
      const r = send(card, selectAid(aid));
      expect(r.sw).toBe('9000');
      expect(hexOf(r.data)).toBe(`6f1284 10${aid}`.replace(/\s/g, ''));
    }
  });

  it('selects by the RID: P2=00 finds the first AP, P2=02 the next, then none', () => {
    const card = createVirtualCard({ data });
    expect(hexOf(send(card, '00a4040005e828bd080f00').data)).toBe(`6f128410${SIGN_AID}`);
    expect(hexOf(send(card, '00a4040205e828bd080f00').data)).toBe(`6f128410${AUTH_AID}`);
    expect(sw(card, '00a4040205e828bd080f00')).toBe('6a82');
  });

  it('answers P2=0C without FCI', () => {
    const r = send(createVirtualCard({ data }), selectAid(AUTH_AID, '0c'));
    expect(r).toEqual({ sw: '9000', data: new Uint8Array(0) });
  });

  it('answers 6A82 to an unknown AID (and the JPKI AID) and keeps the current AP', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, selectAid('a000000003000000'))).toBe('6a82');
    expect(sw(card, '00a4040c0ad392f000260100000001')).toBe('6a82');
    expect(hexOf(send(card, '00b0960004').data).slice(0, 4)).toBe('3082');
  });

  it('answers 6A82 to an unknown FID and 6700 to a FID of the wrong length', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, selectEf('1234'))).toBe('6a82');
    expect(sw(card, '00a4020c0100')).toBe('6700');
    expect(sw(createVirtualCard({ data }), selectEf('0016'))).toBe('6a82');
  });
});

describe('virtual HPKI card: files', () => {
  it('reads EF.OD at short EF 11, pointing to AODF 0001, PrKDF 0002, PuKDF 0003, CDF 0004, DODF 0005', () => {
    const r = send(authReady(data, { verified: false }), '00b0910000');
    expect(r.sw).toBe('9000');
    const found: [number, string][] = [];
    for (let offset = 0; offset < r.data.length; ) {
      const parsed = asn1js.fromBER(r.data.subarray(offset));
      const choice = parsed.result as asn1js.Constructed;
      const path = (choice.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.OctetString;
      found.push([choice.idBlock.tagNumber, hexOf(path.valueBlock.valueHexView)]);
      offset += parsed.offset;
    }
    expect(found).toEqual([
      [8, '0001'],
      [0, '0002'],
      [1, '0003'],
      [4, '0004'],
      [7, '0005'],
    ]);
  });

  it('lists the EE certificate at 0016 and the CA certificates at 0017 (issuing CA) and 0018 (root) in the CDF', () => {
    const card = authReady(data, { verified: false });
    const cdf = readWholeEf(card, '0004');
    const entries: { label: string; fid: string; authority: boolean }[] = [];
    for (let offset = 0; offset < cdf.length && cdf[offset] !== 0; ) {
      const parsed = asn1js.fromBER(cdf.subarray(offset));
      const [common, certAttrs, typeAttrs] = (parsed.result as asn1js.Sequence).valueBlock
        .value as asn1js.Constructed[];
      const label = (common!.valueBlock.value[0] as asn1js.Utf8String).valueBlock.value;
      const authority = certAttrs!.valueBlock.value.length > 1;
      const path = ((typeAttrs!.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence)
        .valueBlock.value[0] as asn1js.OctetString;
      entries.push({ label, fid: hexOf(path.valueBlock.valueHexView), authority });
      offset += parsed.offset;
    }
    expect(entries).toEqual([
      { label: 'HPKI END ENTITY CERTIFICATE', fid: '0016', authority: false },
      { label: 'HPKI CA CERTIFICATE', fid: '0017', authority: true },
      { label: 'HPKI ROOT CA CERTIFICATE', fid: '0018', authority: true },
    ]);
    expect(hexOf(derPrefix(readWholeEf(card, '0017')))).toBe(hexOf(pki.authCa.certificate));
    expect(hexOf(derPrefix(readWholeEf(card, '0018')))).toBe(hexOf(pki.root.certificate));
  });

  it('reads the certificate at 0016 by offset in 256-byte blocks, header first', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, selectEf('0016'))).toBe('9000');
    const head = send(card, '00b0000004');
    expect(head.sw).toBe('9000');
    expect(head.data[0]).toBe(0x30);
    expect(head.data[1]).toBe(0x82);
    const total = ((head.data[2]! << 8) | head.data[3]!) + 4;
    const ef = readWholeEf(card, '0016');
    expect(ef.length).toBeGreaterThanOrEqual(total);
    expect(hexOf(ef.subarray(0, total))).toBe(hexOf(authCertificate(data).raw));
    expect(ef.subarray(total).every((b) => b === 0)).toBe(true);
  });

  it('reads with extended Le (00 00 00): the whole EF at once', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, selectEf('0016'))).toBe('9000');
    const r = send(card, '00b00000000000');
    expect(r.sw).toBe('9000');
    expect(hexOf(derPrefix(r.data))).toBe(hexOf(authCertificate(data).raw));
    expect(hexOf(r.data)).toBe(hexOf(readWholeEf(card, '0016')));
  });

  it('reads by short EF identifier (P1 = 80|SFI) with an 8-bit offset', () => {
    const card = authReady(data, { verified: false });
    const r = send(card, '00b0961004');
    expect(r.sw).toBe('9000');
    expect(hexOf(r.data)).toBe(hexOf(authCertificate(data).raw.subarray(0x10, 0x14)));
    // The SFI read made 0016 the current EF.
    expect(hexOf(send(card, '00b0000002').data)).toBe('3082');
    expect(sw(card, '00b09e0004')).toBe('6a82');
    expect(sw(card, '00b0c10004')).toBe('6a86');
  });

  it('warns 6282 when an explicit Le runs past the end, and answers 6B00 beyond it', () => {
    const card = authReady(data, { verified: false });
    const od = send(card, '00b0910000').data;
    const r = send(card, `00b00000${hexLen(od.length + 5)}`);
    expect(r.sw).toBe('6282');
    expect(hexOf(r.data)).toBe(hexOf(od));
    expect(sw(card, `00b0${hexLen(od.length >> 8)}${hexLen(od.length & 0xff)}01`)).toBe('6b00');
  });

  it('keeps the private key at 000C unreadable (6982), by FID and by SFI', () => {
    const card = authReady(data);
    expect(sw(card, selectEf('000c'))).toBe('9000');
    expect(sw(card, '00b0000000')).toBe('6982');
    expect(sw(card, '00b08c0000')).toBe('6982');
  });

  it('answers the same bytes to short and extended READ BINARY, by FID and by short EF identifier', () => {
    const card = authReady(data, { verified: false });
    const der = authCertificate(data).raw;
    // Extended Le 0x1000 by SFI 16: the whole EF (the certificate and its zero fill), 6282 at its end.
    const extended = send(card, '00b0960000 1000');
    expect(extended.sw).toBe('6282');
    expect(hexOf(extended.data.subarray(0, der.length))).toBe(hexOf(der));
    expect(extended.data.subarray(der.length).every((b) => b === 0)).toBe(true);
    // The same file in 256-byte short reads, and extended with an exact Le at an offset.
    const short = readWholeEf(card, '0016');
    expect(hexOf(short)).toBe(hexOf(extended.data));
    const tail = send(card, `00b00100 00${(der.length - 256).toString(16).padStart(4, '0')}`);
    expect(tail.sw).toBe('9000');
    expect(hexOf(tail.data)).toBe(hexOf(der.subarray(256)));
    // Extended Le 0000 means "all there is": no warning.
    expect(send(card, '00b0960000 0000').sw).toBe('9000');
  });

  it('with extendedLength off, answers every extended command 6700 and short ones as before', () => {
    const card = createVirtualCard({ data }, { extendedLength: false });
    expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(card, '00b0960000 1000')).toBe('6700');
    expect(send(card, '00b0960000').sw).toBe('9000');
    expect(sw(card, `00200088 0004 ${Buffer.from(PIN).toString('hex')}`)).toBe('6700');
    expect(sw(card, `00200088 04 ${Buffer.from(PIN).toString('hex')}`)).toBe('9000');
  });

  it('answers 6986 to READ BINARY without a current EF, and 6700 without Le', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, '00b0000004')).toBe('6986');
    expect(sw(card, selectEf('0016'))).toBe('9000');
    expect(sw(card, '00b00000')).toBe('6700');
  });
});
describe('virtual HPKI card: status words and reset', () => {
  it('answers 6700 to a malformed APDU, 6D00 to an unknown INS, 6E00 to an unknown CLA, 6A86 to a bad P1', () => {
    const card = createVirtualCard({ data });
    expect(sw(card, '00a4040010e828bd')).toBe('6700');
    expect(sw(card, '00a4')).toBe('6700');
    expect(sw(card, '00ca000000')).toBe('6d00');
    expect(sw(card, '802200 00')).toBe('6d00');
    expect(sw(card, `a0a40400 10${AUTH_AID}00`)).toBe('6e00');
    expect(sw(card, `01a40400 10${AUTH_AID}00`)).toBe('6881');
    expect(sw(card, `00a40800 10${AUTH_AID}00`)).toBe('6a86');
  });

  it('forgets the selection on reset', () => {
    const card = authReady(data);
    expect(sw(card, selectEf('0016'))).toBe('9000');
    card.reset();
    expect(sw(card, '00b0000004')).toBe('6986');
    expect(sw(card, '00b0960004')).toBe('6a82');
    expect(sw(card, '00200088')).toBe('6a82');
  });
});
