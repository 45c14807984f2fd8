import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { afterAll, describe, expect, it } from 'vitest';
import * as constants from '../../../../native-host/backends/pcsc/constants.js';
import { PCSC_CODES, PcscError } from '../../../../native-host/backends/pcsc/error-codes.js';
import { PCSC_LAYOUTS, type PcscLayout, type PcscOs } from '../../../../native-host/backends/pcsc/layout.js';
import {
  decodeMultiString,
  decodeReaderStates,
  encodeIoRequest,
  encodeName,
  encodeReaderStates,
} from '../../../../native-host/backends/pcsc/reader-states.js';
import { systemToolsPresent } from '../../../helpers/system-tools.js';

/**
 * The per-OS PC/SC layout tables (native-host/backends/pcsc/layout.ts) against three sources: the
 * table of docs/pcsc.md (which cites the Windows and Apple headers), a C probe compiled against
 * pcsc-lite's installed headers (Linux, and the same headers with __APPLE__ for macOS), and koffi's
 * own struct layout. Plus the error table and constants against pcsc-lite's pcsclite.h.
 */

const OSES: PcscOs[] = ['linux', 'darwin', 'win32'];
const HEADERS = '/usr/include/PCSC';
const DOCS = new URL('../../../../docs/pcsc.md', import.meta.url);

/** The docs' per-OS table: row label → cell per OS, in the order linux, darwin, win32. */
function docsTable(): Map<string, string[]> {
  const text = readFileSync(DOCS, 'utf8');
  const section = text.slice(text.indexOf('## Per-OS layout'), text.indexOf('Where the values come from'));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replaceAll('`', ''));
    if (cells.length !== 6 || cells[1] === 'field' || cells[1]!.startsWith('-')) continue;
    rows.set(cells[1]!, cells.slice(2, 5));
  }
  return rows;
}

function expectedRows(layout: PcscLayout): Record<string, string> {
  const rs = layout.readerState;
  return {
    library: layout.library,
    'DWORD bytes': String(layout.dword.size),
    'LONG (return code) bytes': layout.long.endsWith('64') ? '8' : '4',
    'SCARDCONTEXT, SCARDHANDLE bytes': layout.handle.endsWith('64') ? '8' : '4',
    'reader names': layout.text === 'utf8' ? 'UTF-8' : 'UTF-16LE',
    'SCardListReaders entry': layout.entry.listReaders,
    'SCardGetStatusChange entry': layout.entry.getStatusChange,
    'SCardConnect entry': layout.entry.connect,
    'sizeof(SCARD_READERSTATE)': String(rs.size),
    'offset dwCurrentState': String(rs.currentState),
    'offset dwEventState': String(rs.eventState),
    'offset cbAtr': String(rs.atrLength),
    'offset rgbAtr': String(rs.atr),
    'rgbAtr bytes': String(rs.atrCapacity),
    'sizeof(SCARD_IO_REQUEST)': String(layout.ioRequestSize),
    'PnP notification reader': layout.pnpNotification ? 'yes' : 'no',
    'service stops without readers': layout.serviceStopsWithoutReaders ? 'yes' : 'no',
  };
}

const PROBE = `#include <stdio.h>
#include <stddef.h>
#include <winscard.h>
int main(void) {
  printf("{\\"dword\\":%zu,\\"long\\":%zu,\\"context\\":%zu,\\"handle\\":%zu,\\"io\\":%zu,",
    sizeof(DWORD), sizeof(LONG), sizeof(SCARDCONTEXT), sizeof(SCARDHANDLE), sizeof(SCARD_IO_REQUEST));
  printf("\\"size\\":%zu,\\"reader\\":%zu,\\"user\\":%zu,\\"current\\":%zu,\\"event\\":%zu,\\"atrLength\\":%zu,\\"atr\\":%zu,\\"atrCapacity\\":%zu,",
    sizeof(SCARD_READERSTATE), offsetof(SCARD_READERSTATE, szReader), offsetof(SCARD_READERSTATE, pvUserData),
    offsetof(SCARD_READERSTATE, dwCurrentState), offsetof(SCARD_READERSTATE, dwEventState),
    offsetof(SCARD_READERSTATE, cbAtr), offsetof(SCARD_READERSTATE, rgbAtr),
    sizeof(((SCARD_READERSTATE *)0)->rgbAtr));
  printf("\\"scope\\":%d,\\"exclusive\\":%d,\\"t0\\":%d,\\"t1\\":%d,\\"leave\\":%d,\\"reset\\":%d,",
    SCARD_SCOPE_SYSTEM, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD, SCARD_RESET_CARD);
  printf("\\"unaware\\":%d,\\"changed\\":%d,\\"unknown\\":%d,\\"unavailable\\":%d,\\"empty\\":%d,\\"present\\":%d,\\"mute\\":%d,\\"infinite\\":%lu}\\n",
    SCARD_STATE_UNAWARE, SCARD_STATE_CHANGED, SCARD_STATE_UNKNOWN, SCARD_STATE_UNAVAILABLE, SCARD_STATE_EMPTY,
    SCARD_STATE_PRESENT, SCARD_STATE_MUTE, (unsigned long)INFINITE);
  return 0;
}
`;

type Probe = Record<string, number>;

const work = mkdtempSync(join(tmpdir(), 'hpki-pcsc-layout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function probe(defines: string[]): Probe {
  const source = join(work, 'probe.c');
  const binary = join(work, `probe${defines.join('')}`);
  writeFileSync(source, PROBE);
  execFileSync('gcc', ['-std=c11', `-I${HEADERS}`, ...defines, source, '-o', binary]);
  return JSON.parse(execFileSync(binary, { encoding: 'utf8' })) as Probe;
}

function expectReaderState(layout: PcscLayout, p: Probe): void {
  const rs = layout.readerState;
  expect({
    size: p.size,
    reader: p.reader,
    user: p.user,
    current: p.current,
    event: p.event,
    atrLength: p.atrLength,
    atr: p.atr,
    atrCapacity: p.atrCapacity,
  }).toEqual({
    size: rs.size,
    reader: 0,
    user: 8,
    current: rs.currentState,
    event: rs.eventState,
    atrLength: rs.atrLength,
    atr: rs.atr,
    atrCapacity: rs.atrCapacity,
  });
}

const bytesOf = (type: string): number => (type.endsWith('64') ? 8 : 4);

describe('per-OS PC/SC layout tables', () => {
  it('say what docs/pcsc.md says, for every system', () => {
    const table = docsTable();
    OSES.forEach((os, column) => {
      for (const [row, value] of Object.entries(expectedRows(PCSC_LAYOUTS[os]))) {
        expect(table.get(row)?.[column], `${os}: ${row}`).toBe(value);
      }
    });
  });

  it('match koffi’s own struct layout (natural alignment; pack(1) on macOS)', () => {
    for (const os of OSES) {
      const layout = PCSC_LAYOUTS[os];
      const dword = layout.dword.type;
      const fields = {
        szReader: 'void *',
        pvUserData: 'void *',
        dwCurrentState: dword,
        dwEventState: dword,
        cbAtr: dword,
        rgbAtr: koffi.array('uint8_t', layout.readerState.atrCapacity),
      };
      const type = os === 'darwin' ? koffi.pack(fields) : koffi.struct(fields);
      const rs = layout.readerState;
      expect(koffi.sizeof(type), os).toBe(rs.size);
      expect(koffi.offsetof(type, 'dwCurrentState'), os).toBe(rs.currentState);
      expect(koffi.offsetof(type, 'dwEventState'), os).toBe(rs.eventState);
      expect(koffi.offsetof(type, 'cbAtr'), os).toBe(rs.atrLength);
      expect(koffi.offsetof(type, 'rgbAtr'), os).toBe(rs.atr);
      expect(layout.ioRequestSize, os).toBe(2 * layout.dword.size);
    }
  });

  const headersHere = systemToolsPresent('PC/SC layout against pcsc-lite headers', [
    `${HEADERS}/winscard.h`,
    '/usr/bin/gcc',
  ]);

  it.runIf(headersHere)('Linux: the installed pcsc-lite headers agree, field by field', () => {
    const linux = PCSC_LAYOUTS.linux;
    const p = probe([]);
    expectReaderState(linux, p);
    expect(p.dword).toBe(linux.dword.size);
    expect(p.long).toBe(bytesOf(linux.long));
    expect(p.context).toBe(bytesOf(linux.handle));
    expect(p.handle).toBe(bytesOf(linux.handle));
    expect(p.io).toBe(linux.ioRequestSize);
  });

  it.runIf(headersHere)('macOS: pcsc-lite’s headers with __APPLE__ agree (packed, 32-bit DWORD and handles)', () => {
    const darwin = PCSC_LAYOUTS.darwin;
    const p = probe(['-D__APPLE__']);
    expectReaderState(darwin, p);
    expect(p.dword).toBe(darwin.dword.size);
    expect(p.long).toBe(bytesOf(darwin.long));
    expect(p.context).toBe(bytesOf(darwin.handle));
    expect(p.handle).toBe(bytesOf(darwin.handle));
    // SCARD_IO_REQUEST is two uint32_t in Apple's own header (docs/pcsc.md), unlike pcsc-lite's.
  });

  it.runIf(headersHere)('the constants the host uses have the headers’ values', () => {
    const p = probe([]);
    const ours: Record<string, number> = {
      scope: constants.SCARD_SCOPE_SYSTEM,
      exclusive: constants.SCARD_SHARE_EXCLUSIVE,
      t0: constants.SCARD_PROTOCOL_T0,
      t1: constants.SCARD_PROTOCOL_T1,
      leave: constants.SCARD_LEAVE_CARD,
      reset: constants.SCARD_RESET_CARD,
      unaware: constants.SCARD_STATE_UNAWARE,
      changed: constants.SCARD_STATE_CHANGED,
      unknown: constants.SCARD_STATE_UNKNOWN,
      unavailable: constants.SCARD_STATE_UNAVAILABLE,
      empty: constants.SCARD_STATE_EMPTY,
      present: constants.SCARD_STATE_PRESENT,
      mute: constants.SCARD_STATE_MUTE,
      infinite: constants.INFINITE,
    };
    expect(ours).toEqual(Object.fromEntries(Object.keys(ours).map((k) => [k, p[k]])));
  });

  it.runIf(headersHere)('the error table names every code of pcsclite.h, with its value', () => {
    const header = readFileSync(`${HEADERS}/pcsclite.h`, 'utf8');
    const defined = [...header.matchAll(/^#define\s+(SCARD_[EFWP]_\w+)\s+\(\(LONG\)(0x[0-9A-Fa-f]{8})\)/gm)];
    expect(defined.length).toBeGreaterThan(50);
    for (const [, name, hex] of defined) {
      const entry = PCSC_CODES.get(Number(hex));
      expect(entry, name).toBeDefined();
      // pcsc-lite gives 0x8010001F two names; the table keeps the first (Windows has the other at 0x80100022).
      if (name !== 'SCARD_E_UNSUPPORTED_FEATURE') expect(entry!.name, hex).toBe(name);
    }
  });
});

describe('SCARD_READERSTATE arrays and names in each layout', () => {
  it('write the current state and szReader where the layout says, and read back event state and ATR', () => {
    for (const os of OSES) {
      const layout = PCSC_LAYOUTS[os];
      const rs = layout.readerState;
      const states = [
        { reader: 'Reader A', currentState: 0x22 },
        { reader: 'リーダー B', currentState: 0x10 },
      ];
      const buffer = encodeReaderStates(layout, states, [0x1122334455667788n, 0x0102030405060708n]);
      expect(buffer.length, os).toBe(2 * rs.size);
      expect(buffer.readBigUInt64LE(rs.size)).toBe(0x0102030405060708n);
      const readDword = (offset: number): number =>
        layout.dword.size === 8 ? Number(buffer.readBigUInt64LE(offset)) : buffer.readUInt32LE(offset);
      expect(readDword(rs.size + rs.currentState), os).toBe(0x10);
      // What the library would write back for the second reader: PRESENT|CHANGED and a 4-byte ATR.
      if (layout.dword.size === 8) {
        buffer.writeBigUInt64LE(0x22n, rs.size + rs.eventState);
        buffer.writeBigUInt64LE(4n, rs.size + rs.atrLength);
      } else {
        buffer.writeUInt32LE(0x22, rs.size + rs.eventState);
        buffer.writeUInt32LE(4, rs.size + rs.atrLength);
      }
      buffer.set([0x3b, 0x88, 0x80, 0x01], rs.size + rs.atr);
      const out = decodeReaderStates(layout, buffer, states);
      expect(out[1], os).toEqual({
        reader: 'リーダー B',
        eventState: 0x22,
        atr: new Uint8Array([0x3b, 0x88, 0x80, 0x01]),
      });
      expect(out[0]!.atr.length, os).toBe(0);
    }
  });

  it('never read an ATR beyond the field, whatever cbAtr says', () => {
    const layout = PCSC_LAYOUTS.win32;
    const buffer = encodeReaderStates(layout, [{ reader: 'r', currentState: 0 }], [0n]);
    buffer.writeUInt32LE(0xffff, layout.readerState.atrLength);
    expect(decodeReaderStates(layout, buffer, [{ reader: 'r', currentState: 0 }])[0]!.atr.length).toBe(36);
  });

  it('encode names as the entry points expect: UTF-8 (A) or UTF-16LE (W), NUL-terminated', () => {
    expect([...encodeName(PCSC_LAYOUTS.linux, 'ab')]).toEqual([0x61, 0x62, 0]);
    expect([...encodeName(PCSC_LAYOUTS.win32, 'ab')]).toEqual([0x61, 0, 0x62, 0, 0, 0]);
    const list = Buffer.from('SONY RC-S300\0リーダー\0\0', 'utf16le');
    expect(decodeMultiString(PCSC_LAYOUTS.win32, list, list.length / 2)).toEqual(['SONY RC-S300', 'リーダー']);
    const utf8 = Buffer.from('Virtual PCD 00 00\0Virtual PCD 00 01\0\0', 'utf8');
    expect(decodeMultiString(PCSC_LAYOUTS.darwin, utf8, utf8.length)).toEqual([
      'Virtual PCD 00 00',
      'Virtual PCD 00 01',
    ]);
  });

  it('build SCARD_IO_REQUEST as { protocol, its own size } in DWORDs', () => {
    expect([...encodeIoRequest(PCSC_LAYOUTS.linux, 2)]).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
    expect([...encodeIoRequest(PCSC_LAYOUTS.darwin, 1)]).toEqual([1, 0, 0, 0, 8, 0, 0, 0]);
    expect([...encodeIoRequest(PCSC_LAYOUTS.win32, 2)]).toEqual([2, 0, 0, 0, 8, 0, 0, 0]);
  });
});

describe('PC/SC return codes', () => {
  it('read the same from a 64-bit LONG (Linux) and a 32-bit one (Windows, macOS)', () => {
    const linux = new PcscError('SCardTransmit', 0x80100069);
    const windows = new PcscError('SCardTransmit', 0x80100069 | 0);
    expect(windows.code).toBe(linux.code);
    expect(linux).toMatchObject({ kind: 'card-gone' });
    expect(linux.message).toBe('SCardTransmit: SCARD_W_REMOVED_CARD (0x80100069)');
    expect(new PcscError('SCardConnect', 0x80101234)).toMatchObject({ kind: 'internal' });
  });
});
