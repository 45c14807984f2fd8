import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { describeCardCertificate } from '../../../native-host/commands/get-certificate.js';
import { decodeCertificate } from '../../../protocol/certificate-der.js';
import { issuerOrganization } from '../../../protocol/issuer-organization.js';
import { getCertificateResultSchema } from '../../../protocol/messages.js';
import { decodeName } from '../../../protocol/x500-name.js';
import { readSharedPemDer } from '../../helpers/shared.js';

/** The issuer as the PIN window shows it: the organisation a doctor knows, on one line. */

const issuerOf = (...file: [string, string]): string =>
  issuerOrganization(decodeCertificate(readSharedPemDer(...file)).issuer);
const named = (dn: string): string => issuerOrganization(decodeName(new Uint8Array(new Name(dn).toArrayBuffer())));

describe('issuerOrganization', () => {
  it('MEDIS for the real MEDIS CAs, not HPKI-01-MedisSignCA2-forNonRepudiation', () => {
    expect(issuerOf('hpki-reference', 'medis-test-ee-sign-kagurazaka.pem')).toBe('MEDIS');
    expect(issuerOf('hpki-reference', 'medis-test-ee-sign-rokujuni.pem')).toBe('MEDIS');
  });

  it("日本医師会認証局 for the Japan Medical Association's CAs", () => {
    expect(named('C=JP, O=Japan Medical Association, CN=HPKI-01-HPKI_JV1-forAuthentication-forIndividual')).toBe(
      '日本医師会認証局',
    );
    expect(named('C=JP, CN=HPKI-01-HPKI_JV2-forNonRepudiation')).toBe('日本医師会認証局');
  });

  it("the DN's organisation otherwise (the mock PKI's), its CN only without one", () => {
    expect(issuerOf('test-vectors', 'ee.pem')).toBe('Mock Medical Association');
    expect(named('C=JP, O=Example Hospital CA, CN=HPKI-01-ExampleCA-forAuthentication')).toBe('Example Hospital CA');
    expect(named('C=JP, CN=Some CA')).toBe('Some CA');
    expect(named('C=JP, OU=Only OU')).toBe('C=JP, OU=Only OU');
  });

  it('get-certificate reports it beside the CN of PROTOCOL.md, and the schema takes it', () => {
    const described = describeCardCertificate(readSharedPemDer('test-vectors', 'ee.pem'));
    expect(described.issuer).toBe('HPKI-01-MockAuthCA-forAuthentication-forIndividual');
    expect(described.issuerOrganization).toBe('Mock Medical Association');
    expect(described.issuerOrganization).not.toContain('\n');
    expect(getCertificateResultSchema.shape.issuerOrganization.safeParse(described.issuerOrganization).success).toBe(
      true,
    );
  });
});
