// The per-user CA certificate cache; other folders import from here.

export { createCaCertificateCache } from './ca-certificate-cache.js';
