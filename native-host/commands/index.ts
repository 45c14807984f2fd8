// The host's commands (PROTOCOL.md §3); the dispatcher imports them from here.

export { runAuthenticate } from './authenticate.js';
export { runChangePin } from './change-pin.js';
export { runFindCards } from './find-cards.js';
export { runGetCertificate } from './get-certificate.js';
export { createSeenCertificates, type SeenCertificates } from './seen-certificates.js';
export { runSign } from './sign.js';
export { runStatus } from './status.js';
