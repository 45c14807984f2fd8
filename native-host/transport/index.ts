// APDU transports: what the card driver sends APDUs through; other folders import from here.

export { type ApduResponder, type ApduTransport, ReaderRefusedError } from './apdu-transport.js';
export { createMemoryTransport, type MemoryTransport } from './memory-transport.js';
