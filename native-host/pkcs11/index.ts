export type { Pkcs11BackendOptions } from './backend.js';
export { createPkcs11Backend } from './backend.js';
export { JAHIS_LABELS } from './hpki-objects.js';
export { COUNT_LOW_RETRIES, HPKI_MAX_PIN_RETRIES, pinStatusFromFlags } from './pin-flags.js';
