import type { Writable } from 'node:stream';
import { PROTOCOL_VERSION } from '../../protocol/version.js';

/**
 * The hello frame (PROTOCOL.md §2), written before the rest of the host is loaded: the browser sees
 * the host alive as soon as Node has started. Deliberately free of imports beyond the version.
 */
export function writeHello(output: Writable, backend: 'pcsc' | 'pkcs11' | 'mock', version: string): void {
  const body = Buffer.from(JSON.stringify({ hello: { protocol: PROTOCOL_VERSION, version, backend } }), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  output.write(Buffer.concat([header, body]));
}
