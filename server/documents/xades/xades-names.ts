import type { NodeHashName } from '../../../protocol/digest-info.js';

/** Namespaces and algorithm URIs of XML-DSig and XAdES 1.3.2 as the e-prescription layout uses them. */

export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const XADES_NS = 'http://uri.etsi.org/01903/v1.3.2#';
export const XADES141_NS = 'http://uri.etsi.org/01903/v1.4.1#';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';

export type DigestName = NodeHashName;

export const DIGEST_METHODS: Readonly<Record<string, DigestName>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
export const SHA256_METHOD = 'http://www.w3.org/2001/04/xmlenc#sha256';

export const SIGNATURE_METHODS: Readonly<Record<string, DigestName>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
export const RSA_SHA256_METHOD = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

/** The DigestInfo hash names of protocol/digest-info.ts for each digest. */
export const HASH_ALGORITHM_OF = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;
