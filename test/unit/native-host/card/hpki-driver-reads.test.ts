import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaCertificateCache } from '../../../../native-host/cache/ca-certificate-cache.js';
import { newReadModes, type ReadModes } from '../../../../native-host/card/file-reader.js';
import { openHpkiToken } from '../../../../native-host/card/hpki-apdu-token.js';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import { type ApduTransport, ReaderRefusedError } from '../../../../native-host/transport/apdu-transport.js';
import { createMemoryTransport } from '../../../../native-host/transport/memory-transport.js';
import {
  createCardFile,
  createVirtualCard,
  loadCardFile,
  readAuthKeyPair,
  type VirtualCardTweaks,
} from '../../../../native-host/virtual-card/index.js';
import { buildSignedContent, digestInfoSha256 } from '../../../../protocol/signed-data.js';

/**
 * How the driver reads the card: extended-length READ BINARY by short EF identifier where the card and
 * reader take it, short reads and SELECT EF where they do not (remembered for the session), and the
 * swapped-card check with one short read. Counted at the APDU level over the in-process virtual card.
 */

let dir: string;
let pki: MockPki;
let cardPath: string;
let otherCardPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-driver-reads-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  otherCardPath = join(dir, 'other.card');
  await createCardFile(cardPath, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  await createCardFile(otherCardPath, { pki, name: 'Nichii Hanako', role: 'Medical Doctor', pin: '1234' });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exchange {
  command: Uint8Array;
  sw: number;
}

/** A transport that logs every exchange and lets a test stand in for a reader or card that refuses. */
function recording(
  inner: ApduTransport,
  intercept?: (command: Uint8Array) => Uint8Array | 'refuse' | undefined,
): ApduTransport & { log: Exchange[] } {
  const log: Exchange[] = [];
  return {
    log,
    async transmit(command) {
      const copy = command.slice();
      const answer = intercept?.(copy);
      if (answer === 'refuse') {
        log.push({ command: copy, sw: -1 });
        throw new ReaderRefusedError('SCARD_E_NOT_TRANSACTED (test reader without extended length)');
      }
      const response = answer ?? (await inner.transmit(command));
      log.push({ command: copy, sw: (response[response.length - 2]! << 8) | response[response.length - 1]! });
      return response;
    },
    close: () => inner.close(),
  };
}

const isExtended = (c: Uint8Array): boolean => c.length >= 7 && c[4] === 0;
const isRead = (c: Uint8Array): boolean => c[1] === 0xb0;

function open(
  options: {
    path?: string;
    tweaks?: VirtualCardTweaks;
    modes?: ReadModes;
    intercept?: (command: Uint8Array) => Uint8Array | 'refuse' | undefined;
  } = {},
) {
  const card = createVirtualCard({ data: loadCardFile(options.path ?? cardPath) }, options.tweaks ?? {});
  const transport = recording(createMemoryTransport(card), options.intercept);
  return { transport, token: openHpkiToken(transport, { readModes: options.modes ?? newReadModes() }) };
}

const expected = () => readAuthKeyPair(loadCardFile(cardPath));
const hexes = (list: Uint8Array[]): string[] => list.map((c) => Buffer.from(c).toString('hex'));

async function readsAndSigns(t: Awaited<ReturnType<typeof open>['token']>): Promise<void> {
  const { certificate, intermediates } = await t.readCertificate();
  expect(Buffer.from(certificate).equals(Buffer.from(expected().certificate))).toBe(true);
  expect(hexes(intermediates)).toEqual(hexes(expected().caCertificates));
  await t.verifyPin('1234');
  const content = buildSignedContent({ origin: 'https://harenet.example.jp', challenge: 'c'.repeat(43), certificate });
  const signature = await t.sign(digestInfoSha256(content));
  expect(verify('sha256', content, new X509Certificate(certificate).publicKey, signature)).toBe(true);
}

describe('READ BINARY forms', () => {
  it('a card with extended length: each file in one READ BINARY by short EF identifier, no SELECT EF', async () => {
    const { transport, token } = open();
    const t = await token;
    await t.readCertificate();
    const reads = transport.log.slice(1);
    expect(reads.map((e) => [e.command[1], e.command[2], isExtended(e.command), e.sw])).toEqual([
      [0xb0, 0x96, true, 0x6282], // certificate 0016
      [0xb0, 0x84, true, 0x6282], // CDF 0004
      [0xb0, 0x97, true, 0x6282], // CA 0017
      [0xb0, 0x98, true, 0x6282], // root 0018
    ]);
  });

  it('a card without extended length: one 6700, then short reads for the session; PSO:CDS chained', async () => {
    const modes = newReadModes();
    const first = open({ tweaks: { extendedLength: false, signingForms: { iso: true, proprietary: false } }, modes });
    await readsAndSigns(await first.token);
    const refused = first.transport.log.filter((e) => isExtended(e.command));
    expect(refused.map((e) => e.sw)).toEqual([0x6700]);
    expect(modes.extended).toBe(false);
    expect(first.transport.log.some((e) => e.command[0] === 0x10 && e.command[1] === 0x2a)).toBe(true);

    const second = open({ tweaks: { extendedLength: false, signingForms: { iso: true, proprietary: false } }, modes });
    await readsAndSigns(await second.token);
    expect(second.transport.log.filter((e) => isExtended(e.command))).toEqual([]);
  });

  it('a reader that refuses extended-length commands: short reads and chained PSO:CDS, remembered', async () => {
    const modes = newReadModes();
    const refuse = (c: Uint8Array) => (isExtended(c) ? ('refuse' as const) : undefined);
    const first = open({ modes, intercept: refuse, tweaks: { signingForms: { iso: true, proprietary: false } } });
    await readsAndSigns(await first.token);
    expect(first.transport.log.filter((e) => e.sw === -1)).toHaveLength(1);
    const second = open({ modes, intercept: refuse });
    await readsAndSigns(await second.token);
    expect(second.transport.log.filter((e) => e.sw === -1)).toHaveLength(0);
  });

  it('a card that refuses extended READ BINARY and chaining still signs with an extended PSO:CDS', async () => {
    const modes = newReadModes();
    const { transport, token } = open({
      modes,
      tweaks: { signingForms: { iso: true, proprietary: false } },
      intercept: (c) => {
        if (isRead(c) && isExtended(c)) return Uint8Array.of(0x67, 0x00);
        if (c[0] === 0x10) return Uint8Array.of(0x68, 0x84);
        return undefined;
      },
    });
    await readsAndSigns(await token);
    const pso = transport.log.filter((e) => e.command[1] === 0x2a);
    expect(pso.map((e) => [e.command[0], isExtended(e.command), e.sw])).toEqual([
      [0x10, false, 0x6884],
      [0x00, true, 0x9000],
    ]);
  });

  it('a card that answers 6Cxx to an extended Le falls back to short reads', async () => {
    const modes = newReadModes();
    const { transport, token } = open({
      modes,
      intercept: (c) => (isRead(c) && isExtended(c) ? Uint8Array.of(0x6c, 0x00) : undefined),
    });
    await readsAndSigns(await token);
    expect(transport.log.filter((e) => isExtended(e.command) && isRead(e.command))).toHaveLength(1);
    expect(modes.extended).toBe(false);
  });

  it('a card that does not take short EF identifiers: SELECT EF + READ BINARY, remembered', async () => {
    const modes = newReadModes();
    const noSfi = (c: Uint8Array) => (isRead(c) && (c[2]! & 0x80) !== 0 ? Uint8Array.of(0x6a, 0x86) : undefined);
    const first = open({ modes, intercept: noSfi });
    await readsAndSigns(await first.token);
    expect(first.transport.log.filter((e) => e.sw === 0x6a86)).toHaveLength(1);
    expect(modes.shortEfId).toBe(false);
    const second = open({ modes, intercept: noSfi });
    const t = await second.token;
    await t.readCertificate();
    expect(second.transport.log.filter((e) => e.sw === 0x6a86)).toHaveLength(0);
    // SELECT AP, then SELECT EF + one extended READ BINARY for each of the four files.
    expect(second.transport.log).toHaveLength(9);
  });
});

describe('the swapped-card check', () => {
  it('the same card: one short READ BINARY of the issuer and serial number, and the token signs', async () => {
    const caCache = createCaCertificateCache();
    const shown = await (
      await openHpkiToken(createMemoryTransport(createVirtualCard({ path: cardPath })), { caCache })
    ).readCertificate();
    const { transport, token } = open();
    const t = await token;
    expect(await t.confirmCertificates(shown)).toBe(true);
    const check = transport.log.slice(1);
    expect(check).toHaveLength(1);
    expect(isExtended(check[0]!.command)).toBe(false);
    expect(check[0]!.command).toHaveLength(5);
    expect(await t.readCertificate()).toBe(shown);
    await readsAndSigns(t);
    // SELECT AP, the check, VERIFY, MSE:SET, PSO:CDS: nothing read twice.
    expect(transport.log).toHaveLength(5);
  });

  it('another card (same issuer, another serial number) is told apart', async () => {
    const shown = await (await open().token).readCertificate();
    const other = await open({ path: otherCardPath }).token;
    expect(await other.confirmCertificates(shown)).toBe(false);
  });
});
