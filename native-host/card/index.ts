// The card driver (HPKI over APDUs) and the token every backend offers; other folders import from here.

export type { CardBackend, CardCertificates, CardToken, PinStatus } from './card-token.js';
export { newReadModes, type ReadModes } from './file-reader.js';
export { type CaCertificateCache, detectCardType, openHpkiToken } from './hpki-apdu-token.js';
export { signableBy } from './key-use.js';
export { refuseMalformedPin } from './pin-format.js';
