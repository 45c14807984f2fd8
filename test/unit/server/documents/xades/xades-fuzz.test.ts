import { rmSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_ERROR_CODES, VALIDATION_ERROR_CODES } from '../../../../../protocol/errors.js';
import { signatureReportSchema } from '../../../../../protocol/signature-report.js';
import {
  verifyXades,
  XADES_ERROR_CODES,
  type XadesVerifyOptions,
} from '../../../../../server/documents/xades/index.js';
import { createXadesCard, SAMPLE_CSV, type XadesCard } from '../../../../helpers/xades-card.js';

/**
 * Issue 23, robustness: 10 000 inputs through the XML parser and the verifier (docs/signing.md gives
 * the figures): mutations of a document signed with the virtual card (flipped, deleted, inserted and
 * repeated bytes, and hostile markup spliced in), random XML trees in the layout's vocabulary, and
 * random bytes. Every input answers a report (never a throw), every refusal has a known code, no
 * input takes longer than the time bound, and a mutated document that still verifies carries exactly
 * the prescription that was signed.
 */

const RUNS = { mutations: 5_000, trees: 3_000, bytes: 2_000 };
const KNOWN_CODES = new Set<string>([...XADES_ERROR_CODES, ...DOCUMENT_ERROR_CODES, ...VALIDATION_ERROR_CODES]);

const FRAGMENTS = [
  '<!DOCTYPE Document>',
  '<!ENTITY x "y">',
  '&x;',
  '&#0;',
  '&#x1F;',
  '&amp;',
  '<![CDATA[<x>]]>',
  '<?pi x?>',
  '<!-- c -->',
  '<xs:Signature xmlns:xs="http://www.w3.org/2000/09/xmldsig#" Id="PrescriptionSign"/>',
  '<PrescriptionDocument id="PrescriptionDocument">U0oy</PrescriptionDocument>',
  '<PrescriptionDocument>U0oy</PrescriptionDocument>',
  '<PrescriptionSign/>',
  '<DispensingSign></DispensingSign>',
  ' id="PrescriptionDocument"',
  ' Id="PrescriptionSign"',
  ' xmlns:xs="urn:other"',
  ' xmlns="http://www.w3.org/2000/09/xmldsig#"',
  '</Document>',
  '<Document>',
  '"',
  "'",
  '<',
  '>',
  '=',
  '\u0000',
  '\uFFFF',
  '処方箋',
];

let card: XadesCard;
let signed: string;
let signedCsv: string;
let options: XadesVerifyOptions;
const stats = { inputs: 0, valid: 0, maxMs: 0, totalMs: 0, codes: new Map<string, number>() };

beforeAll(async () => {
  card = await createXadesCard();
  signed = new TextDecoder().decode(await card.sign(SAMPLE_CSV));
  signedCsv = Buffer.from(SAMPLE_CSV).toString('base64');
  options = { anchors: [card.root], intermediates: [card.signCa], crls: card.crls };
}, 60_000);

afterAll(() => {
  if (card !== undefined) rmSync(card.dir, { recursive: true, force: true });
  const codes = [...stats.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
  console.log(
    `xades fuzz: ${stats.inputs} inputs, ${stats.valid} valid, mean ${(stats.totalMs / stats.inputs).toFixed(2)} ms, ` +
      `max ${stats.maxMs.toFixed(1)} ms; ${codes.join(', ')}`,
  );
});

/** The text of every `PrescriptionDocument` element whose id is `PrescriptionDocument`. */
function prescriptionsOf(bytes: Uint8Array): string[] {
  const doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), 'text/xml');
  return Array.from(doc.getElementsByTagName('PrescriptionDocument'))
    .filter((el) => el.getAttribute('id') === 'PrescriptionDocument')
    .map((el) => el.textContent ?? '');
}

/** The verifier's answer to `bytes`, checked against the properties above. */
async function check(bytes: Uint8Array): Promise<void> {
  const started = performance.now();
  const report = await verifyXades(bytes, options);
  const ms = performance.now() - started;
  stats.inputs++;
  stats.totalMs += ms;
  stats.maxMs = Math.max(stats.maxMs, ms);
  expect(signatureReportSchema.safeParse(report).success).toBe(true);
  expect(ms).toBeLessThan(2_500);
  if (report.valid) {
    stats.valid++;
    // Whatever changed, a document that verifies carries the signed prescription, in its place: read
    // as XML (whitespace inside a start tag is no change to it), by the XML library, not the verifier.
    expect(prescriptionsOf(bytes)).toEqual([signedCsv]);
    return;
  }
  const code = report.error ?? 'none';
  stats.codes.set(code, (stats.codes.get(code) ?? 0) + 1);
  expect(KNOWN_CODES.has(code)).toBe(true);
}

/** Where a mutation lands, uniformly over the document (fast-check's numbers lean to the ends). */
const position = fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 }));
const mutation = fc.record({
  at: position,
  kind: fc.constantFrom('flip', 'flip', 'delete', 'insert', 'repeat'),
  length: fc.integer({ min: 1, max: 40 }),
  fragment: fc.constantFrom(...FRAGMENTS),
  character: fc.oneof(
    fc.constantFrom(...'AQZagz09+/= \n'),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  ),
});

type Mutation = { at: number; kind: string; length: number; fragment: string; character: string };

function applyMutation(text: string, m: Mutation): string {
  const at = m.at % text.length;
  switch (m.kind) {
    case 'flip':
      return `${text.slice(0, at)}${m.character}${text.slice(at + 1)}`;
    case 'delete':
      return `${text.slice(0, at)}${text.slice(at + m.length)}`;
    case 'repeat':
      return `${text.slice(0, at + m.length)}${text.slice(at, at + m.length)}${text.slice(at + m.length)}`;
    default:
      return `${text.slice(0, at)}${m.fragment}${text.slice(at)}`;
  }
}

const NAMES = [
  'Document',
  'Prescription',
  'PrescriptionDocument',
  'PrescriptionSign',
  'Dispensing',
  'DispensingSign',
  'xs:Signature',
  'xs:SignedInfo',
  'xs:Reference',
  'xa:QualifyingProperties',
  'a',
];
const ATTRIBUTES = [
  'id="PrescriptionDocument"',
  'Id="PrescriptionSign"',
  'URI="#PrescriptionDocument"',
  'Target="#PrescriptionSign"',
  'xmlns:xs="http://www.w3.org/2000/09/xmldsig#"',
  'xmlns:xa="http://uri.etsi.org/01903/v1.3.2#"',
  'Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
];

const tree = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('', 'U0oy', '&amp;', ...FRAGMENTS),
    fc
      .tuple(
        fc.constantFrom(...NAMES),
        fc.subarray(ATTRIBUTES, { maxLength: 3 }),
        fc.array(tie('node'), { maxLength: 4 }),
      )
      .map(([name, attributes, children]) => `<${[name, ...attributes].join(' ')}>${children.join('')}</${name}>`),
  ),
}));

describe('the XAdES verifier under fuzzing', () => {
  it(`answers ${RUNS.mutations} mutations of a signed e-prescription with a report and a known code`, async () => {
    await check(new TextEncoder().encode(signed));
    // A line break for the space in a start tag is the same XML: still valid, the same prescription.
    const spacedTag = signed.replace('<PrescriptionDocument id=', '<PrescriptionDocument\nid=');
    expect(spacedTag).not.toBe(signed);
    await check(new TextEncoder().encode(spacedTag));
    expect(stats.valid).toBe(2);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (mutations) => {
        await check(new TextEncoder().encode(mutations.reduce(applyMutation, signed)));
      }),
      { numRuns: RUNS.mutations },
    );
  }, 300_000);

  it(`answers ${RUNS.trees} random trees in the layout's vocabulary`, async () => {
    await fc.assert(
      fc.asyncProperty(tree.node, async (xml) => {
        await check(new TextEncoder().encode(`<?xml version="1.0" encoding="UTF-8"?><Document>${xml}</Document>`));
      }),
      { numRuns: RUNS.trees },
    );
  }, 300_000);

  it(`answers ${RUNS.bytes} random byte strings`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        await check(bytes);
      }),
      { numRuns: RUNS.bytes },
    );
  }, 300_000);
});
