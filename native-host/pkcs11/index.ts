export type { Pkcs11BackendOptions } from '../backends/pkcs11-backend.js';
export { createPkcs11Backend } from '../backends/pkcs11-backend.js';
export { JAHIS_LABELS } from './hpki-objects.js';
export { COUNT_LOW_RETRIES, HPKI_MAX_PIN_RETRIES, pinStatusFromFlags } from './pin-flags.js';
