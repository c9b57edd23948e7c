// The fixed words of a package's cover and section headers, in the five languages a package can be
// made in. One record per language, every key in each (the type makes a missing one a compile error).

// The language list itself is part of the packaging-method model (src/core/packagingmethod.ts).
import { PACKAGE_LANGUAGES, type PackageLanguage } from '../core/packagingmethod';

export { PACKAGE_LANGUAGES, type PackageLanguage };

export interface PackageTexts {
  title: string;
  intro: string;
  package: string;
  service: string;
  request: string;
  clientReference: string;
  packagedAt: string;
  documents: string;
  description: string;
  externalReference: string;
  type: string;
  sha256: string;
  pages: string;
  signers: string;
  name: string;
  nationalId: string;
  nationality: string;
  method: string;
  pid: string;
  signedAt: string;
  certSubject: string;
  certIssuer: string;
  indication: string;
  signedDocuments: string;
  handwriting: string;
  handwritingOnly: string;
  notIdentified: string;
  seal: string;
  sealSubject: string;
  sealIssuer: string;
  sealBox: string;
  verification: string;
  verificationText: string;
  continued: string;
  signText: string;
  approvedBy: string;
  document: string;
  notShown: string;
}

const en: PackageTexts = {
  title: 'Signed documents',
  intro:
    'This PDF holds the documents listed below, a description of every signature made over them and, as attachments, ' +
    'the electronic evidence of each signature (LTV-SDO) and a machine-readable package.json. ' +
    "The platform's seal on this PDF protects it against changes.",
  package: 'Package',
  service: 'Service',
  request: 'Request',
  clientReference: 'Client reference',
  packagedAt: 'Packaging time',
  documents: 'Documents',
  description: 'Description',
  externalReference: 'External reference',
  type: 'Type',
  sha256: 'SHA-256',
  pages: 'Pages in this PDF',
  signers: 'Signers',
  name: 'Name',
  nationalId: 'National ID number',
  nationality: 'Nationality',
  method: 'Signing method',
  pid: 'PID',
  signedAt: 'Signed (trusted time)',
  certSubject: 'Certificate subject',
  certIssuer: 'Certificate issuer',
  indication: 'Initial verification',
  signedDocuments: 'Documents signed',
  handwriting: 'Handwritten signature, part of the signed evidence',
  handwritingOnly: 'handwritten signature only (simple electronic signature)',
  notIdentified: 'not identified (no eID)',
  seal: 'Platform seal',
  sealSubject: 'Seal certificate',
  sealIssuer: 'Issuer',
  sealBox: 'Electronic seal',
  verification: 'Verification',
  verificationText: 'Check this PDF and its signatures at:',
  continued: '(continued)',
  signText: 'Sign text',
  approvedBy: 'Approved by',
  document: 'Document',
  notShown: "This document's type cannot be shown as pages; its exact bytes are in the attached evidence (LTV-SDO).",
};

const da: PackageTexts = {
  title: 'Underskrevne dokumenter',
  intro:
    'Denne PDF indeholder dokumenterne nedenfor, en beskrivelse af hver underskrift på dem og, som vedhæftede filer, ' +
    'det elektroniske bevis for hver underskrift (LTV-SDO) samt en maskinlæsbar package.json. ' +
    'Platformens segl på denne PDF beskytter den mod ændringer.',
  package: 'Pakke',
  service: 'Tjeneste',
  request: 'Ordre',
  clientReference: 'Kundereference',
  packagedAt: 'Pakketidspunkt',
  documents: 'Dokumenter',
  description: 'Beskrivelse',
  externalReference: 'Ekstern reference',
  type: 'Type',
  sha256: 'SHA-256',
  pages: 'Sider i denne PDF',
  signers: 'Underskrivere',
  name: 'Navn',
  nationalId: 'Personnummer',
  nationality: 'Nationalitet',
  method: 'Underskriftsmetode',
  pid: 'PID',
  signedAt: 'Underskrevet (betroet tid)',
  certSubject: 'Certifikatets indehaver',
  certIssuer: 'Certifikatudsteder',
  indication: 'Indledende verifikation',
  signedDocuments: 'Underskrevne dokumenter',
  handwriting: 'Håndskrevet underskrift, en del af det underskrevne bevis',
  handwritingOnly: 'kun håndskrevet underskrift (simpel elektronisk signatur)',
  notIdentified: 'ikke identificeret (intet eID)',
  seal: 'Platformens segl',
  sealSubject: 'Seglcertifikat',
  sealIssuer: 'Udsteder',
  sealBox: 'Elektronisk segl',
  verification: 'Verifikation',
  verificationText: 'Kontrollér denne PDF og dens underskrifter på:',
  continued: '(fortsat)',
  signText: 'Underskriftstekst',
  approvedBy: 'Godkendt af',
  document: 'Dokument',
  notShown: 'Dokumentets type kan ikke vises som sider; dets nøjagtige bytes findes i det vedhæftede bevis (LTV-SDO).',
};

const nb: PackageTexts = {
  title: 'Signerte dokumenter',
  intro:
    'Denne PDF-en inneholder dokumentene nedenfor, en beskrivelse av hver signatur på dem og, som vedlegg, ' +
    'det elektroniske beviset for hver signatur (LTV-SDO) og en maskinlesbar package.json. ' +
    'Plattformens segl på denne PDF-en beskytter den mot endringer.',
  package: 'Pakke',
  service: 'Tjeneste',
  request: 'Ordre',
  clientReference: 'Kundereferanse',
  packagedAt: 'Tidspunkt for pakking',
  documents: 'Dokumenter',
  description: 'Beskrivelse',
  externalReference: 'Ekstern referanse',
  type: 'Type',
  sha256: 'SHA-256',
  pages: 'Sider i denne PDF-en',
  signers: 'Signatarer',
  name: 'Navn',
  nationalId: 'Fødselsnummer',
  nationality: 'Nasjonalitet',
  method: 'Signeringsmetode',
  pid: 'PID',
  signedAt: 'Signert (klarert tid)',
  certSubject: 'Sertifikatets innehaver',
  certIssuer: 'Sertifikatutsteder',
  indication: 'Innledende verifisering',
  signedDocuments: 'Signerte dokumenter',
  handwriting: 'Håndskrevet signatur, en del av det signerte beviset',
  handwritingOnly: 'kun håndskrevet signatur (enkel elektronisk signatur)',
  notIdentified: 'ikke identifisert (ingen eID)',
  seal: 'Plattformens segl',
  sealSubject: 'Seglsertifikat',
  sealIssuer: 'Utsteder',
  sealBox: 'Elektronisk segl',
  verification: 'Verifisering',
  verificationText: 'Kontroller denne PDF-en og signaturene på:',
  continued: '(fortsatt)',
  signText: 'Signeringstekst',
  approvedBy: 'Godkjent av',
  document: 'Dokument',
  notShown: 'Dokumenttypen kan ikke vises som sider; de nøyaktige bytene ligger i det vedlagte beviset (LTV-SDO).',
};

const sv: PackageTexts = {
  title: 'Undertecknade dokument',
  intro:
    'Denna PDF innehåller dokumenten nedan, en beskrivning av varje underskrift på dem och, som bilagor, ' +
    'det elektroniska beviset för varje underskrift (LTV-SDO) samt en maskinläsbar package.json. ' +
    'Plattformens sigill på denna PDF skyddar den mot ändringar.',
  package: 'Paket',
  service: 'Tjänst',
  request: 'Order',
  clientReference: 'Kundreferens',
  packagedAt: 'Paketeringstid',
  documents: 'Dokument',
  description: 'Beskrivning',
  externalReference: 'Extern referens',
  type: 'Typ',
  sha256: 'SHA-256',
  pages: 'Sidor i denna PDF',
  signers: 'Undertecknare',
  name: 'Namn',
  nationalId: 'Personnummer',
  nationality: 'Nationalitet',
  method: 'Underskriftsmetod',
  pid: 'PID',
  signedAt: 'Undertecknad (betrodd tid)',
  certSubject: 'Certifikatets innehavare',
  certIssuer: 'Certifikatutfärdare',
  indication: 'Inledande verifiering',
  signedDocuments: 'Undertecknade dokument',
  handwriting: 'Handskriven underskrift, en del av det undertecknade beviset',
  handwritingOnly: 'endast handskriven underskrift (enkel elektronisk underskrift)',
  notIdentified: 'inte identifierad (ingen e-legitimation)',
  seal: 'Plattformens sigill',
  sealSubject: 'Sigillcertifikat',
  sealIssuer: 'Utfärdare',
  sealBox: 'Elektroniskt sigill',
  verification: 'Verifiering',
  verificationText: 'Kontrollera denna PDF och dess underskrifter på:',
  continued: '(fortsättning)',
  signText: 'Underskriftstext',
  approvedBy: 'Godkänd av',
  document: 'Dokument',
  notShown: 'Dokumentets typ kan inte visas som sidor; dess exakta byte finns i det bifogade beviset (LTV-SDO).',
};

const fi: PackageTexts = {
  title: 'Allekirjoitetut asiakirjat',
  intro:
    'Tämä PDF sisältää alla luetellut asiakirjat, kuvauksen jokaisesta niihin tehdystä allekirjoituksesta sekä liitteinä ' +
    'jokaisen allekirjoituksen sähköisen todisteen (LTV-SDO) ja koneluettavan package.json-tiedoston. ' +
    'Alustan sinetti suojaa tätä PDF:ää muutoksilta.',
  package: 'Paketti',
  service: 'Palvelu',
  request: 'Tilaus',
  clientReference: 'Asiakasviite',
  packagedAt: 'Paketointiaika',
  documents: 'Asiakirjat',
  description: 'Kuvaus',
  externalReference: 'Ulkoinen viite',
  type: 'Tyyppi',
  sha256: 'SHA-256',
  pages: 'Sivut tässä PDF:ssä',
  signers: 'Allekirjoittajat',
  name: 'Nimi',
  nationalId: 'Henkilötunnus',
  nationality: 'Kansalaisuus',
  method: 'Allekirjoitustapa',
  pid: 'PID',
  signedAt: 'Allekirjoitettu (luotettu aika)',
  certSubject: 'Varmenteen haltija',
  certIssuer: 'Varmenteen myöntäjä',
  indication: 'Alkutarkistus',
  signedDocuments: 'Allekirjoitetut asiakirjat',
  handwriting: 'Käsin piirretty allekirjoitus, osa allekirjoitettua todistetta',
  handwritingOnly: 'vain käsin piirretty allekirjoitus (yksinkertainen sähköinen allekirjoitus)',
  notIdentified: 'ei tunnistettu (ei sähköistä tunnistusta)',
  seal: 'Alustan sinetti',
  sealSubject: 'Sinettivarmenne',
  sealIssuer: 'Myöntäjä',
  sealBox: 'Sähköinen sinetti',
  verification: 'Tarkistus',
  verificationText: 'Tarkista tämä PDF ja sen allekirjoitukset osoitteessa:',
  continued: '(jatkuu)',
  signText: 'Allekirjoitusteksti',
  approvedBy: 'Hyväksyjät',
  document: 'Asiakirja',
  notShown: 'Asiakirjan tyyppiä ei voi näyttää sivuina; sen tarkat tavut ovat liitteenä olevassa todisteessa (LTV-SDO).',
};

const TEXTS: Record<PackageLanguage, PackageTexts> = { en, da, nb, sv, fi };

export function textsFor(language: PackageLanguage): PackageTexts {
  const t = TEXTS[language];
  if (!t) throw new Error(`unknown package language ${JSON.stringify(language)} (one of ${PACKAGE_LANGUAGES.join(', ')})`);
  return t;
}
