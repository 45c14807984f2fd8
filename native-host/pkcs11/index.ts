export { createPkcs11Backend } from './pkcs11-backend.js';
export type { Pkcs11BackendOptions } from './pkcs11-backend.js';
export { exportToPkcs11Token, SOFTHSM2_MODULE } from './softhsm-export.js';
export type { AuthKeyPair, ExportedToken, ExportOptions } from './softhsm-export.js';
export { JAHIS_LABELS } from './hpki-objects.js';
export { pinStatusFromFlags, HPKI_MAX_PIN_RETRIES, COUNT_LOW_RETRIES } from './pin-flags.js';
