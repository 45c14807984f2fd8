/**
 * Tampered copies of a signed e-prescription (test/helpers/xades-card.ts), as text edits, so each
 * test states exactly what an attacker changed. Each edit checks that it changed something.
 */

export type Tamper = (xml: string) => string;

function edit(xml: string, pattern: RegExp, replace: (match: string, ...groups: string[]) => string): string {
  const out = xml.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  if (out === xml) throw new Error(`the edit ${pattern} changed nothing`);
  return out;
}

/** One base64 character flipped inside an element's content (after `offset` characters). */
export function flipIn(localName: string, offset = 10): Tamper {
  return (xml) =>
    edit(xml, new RegExp(`(<(?:\\w+:)?${localName}\\b[^>]*>)([^<]+)`), (_m, open, content) => {
      const c = content[offset];
      return `${open}${content.slice(0, offset)}${c === 'A' ? 'B' : 'A'}${content.slice(offset + 1)}`;
    });
}

/** The KeyInfo certificate replaced by `der`. */
export function swapCertificate(der: Uint8Array): Tamper {
  return (xml) =>
    edit(xml, /(<xs:X509Certificate>)[^<]+/, (_m, open) => `${open}${Buffer.from(der).toString('base64')}`);
}

export const dropSigningCertificateV2: Tamper = (xml) =>
  edit(xml, /<xa:SigningCertificateV2>.*?<\/xa:SigningCertificateV2>/s, () => '');

/** The whole xs:Signature element. */
const SIGNATURE = /<xs:Signature\b.*?<\/xs:Signature>/s;

function signatureOf(xml: string): string {
  const found = SIGNATURE.exec(xml)?.[0];
  if (found === undefined) throw new Error('no signature');
  return found;
}

/** The signature taken out of PrescriptionSign and put in another element (the PrescriptionManagement). */
export const moveSignature: Tamper = (xml) => {
  const signature = signatureOf(xml);
  const without = edit(xml, /<PrescriptionSign>.*?<\/PrescriptionSign>/s, () => '');
  return edit(without, /<\/PrescriptionManagement>/, () => `${signature}</PrescriptionManagement>`);
};

/** The signature moved into a new wrapper inside PrescriptionSign. */
export const wrapSignature: Tamper = (xml) => edit(xml, SIGNATURE, (signature) => `<Wrapper>${signature}</Wrapper>`);

/**
 * The classic wrapping attack: the signed PrescriptionDocument moved into a wrapper elsewhere (so its
 * ID still resolves and its digest still holds), and a forged one without an ID in its place.
 */
export function wrapDocument(forgedCsv: string): Tamper {
  return (xml) => {
    const signed = /<PrescriptionDocument\b.*?<\/PrescriptionDocument>/s.exec(xml)?.[0] ?? '';
    const forged = `<PrescriptionDocument>${Buffer.from(forgedCsv).toString('base64')}</PrescriptionDocument>`;
    const moved = edit(xml, /<PrescriptionDocument\b.*?<\/PrescriptionDocument>/s, () => forged);
    return edit(moved, /<\/Document>$/, () => `<Extension>${signed}</Extension></Document>`);
  };
}

/** A second element carrying the ID `id` (a decoy for the reference to resolve to). */
export function duplicateId(id: string): Tamper {
  return (xml) => edit(xml, /<\/Prescription>/, () => `<Note id="${id}">decoy</Note></Prescription>`);
}

/** The signed document's ID taken from it and given to a forged element with the same content. */
export const renameSignedElement: Tamper = (xml) =>
  edit(xml, /<PrescriptionDocument id="PrescriptionDocument">([^<]*)<\/PrescriptionDocument>/, (_m, content) => {
    return `<PrescriptionDocument>forged</PrescriptionDocument><Other id="PrescriptionDocument">${content}</Other>`;
  });

/** Markup before the root element. */
export function prepend(markup: string): Tamper {
  return (xml) => edit(xml, /^<\?xml[^>]*\?>/, (declaration) => `${declaration}${markup}`);
}
