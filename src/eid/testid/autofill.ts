// "Autofill" for the test-user tool: plausible, valid, obviously fictitious Danish test data.
import { randomBytes, randomInt } from 'node:crypto';
import { sequenceDigitFor } from '../cprnumber';
import { randomCvr } from '../cvrnumber';

const FIRST = [
  'Anne',
  'Mette',
  'Kirsten',
  'Hanne',
  'Helle',
  'Sofie',
  'Ida',
  'Emma',
  'Freja',
  'Karen',
  'Peter',
  'Jens',
  'Lars',
  'Michael',
  'Henrik',
  'Søren',
  'Niels',
  'Mads',
  'Frederik',
  'Rasmus',
];
const LAST = [
  'Nielsen',
  'Jensen',
  'Hansen',
  'Pedersen',
  'Andersen',
  'Christensen',
  'Larsen',
  'Sørensen',
  'Rasmussen',
  'Jørgensen',
  'Petersen',
  'Madsen',
  'Kristensen',
  'Olsen',
  'Thomsen',
  'Poulsen',
  'Møller',
  'Mortensen',
];
const STREETS = [
  'Vestergade',
  'Østergade',
  'Nørregade',
  'Søndergade',
  'Strandvejen',
  'Algade',
  'Kirkevej',
  'Skovvej',
  'Møllevej',
  'Bredgade',
  'Havnegade',
  'Torvet',
];
const TOWNS: Array<[string, string]> = [
  ['1050', 'København K'],
  ['2100', 'København Ø'],
  ['5000', 'Odense C'],
  ['8000', 'Aarhus C'],
  ['9000', 'Aalborg'],
  ['6700', 'Esbjerg'],
  ['7100', 'Vejle'],
  ['4000', 'Roskilde'],
  ['8900', 'Randers'],
  ['3000', 'Helsingør'],
];

const ORGANISATIONS = ['Testfirma ApS', 'Prøvehuset A/S', 'Eksempel Revision I/S', 'Nordisk Testhandel ApS', 'Demo Kommune'];

export interface TestUserDraft {
  /** a personal user (POCES-style, the default) or an employee (MOCES-style: organisation, CVR, RID) */
  kind?: 'personal' | 'employee';
  organisation?: string;
  /** 8 digits (cvrnumber.ts) */
  cvr?: string;
  rid?: string;
  alias: string;
  password: string;
  firstName: string;
  lastName: string;
  /** DDMMYYSSSS */
  cpr: string;
  address: string;
}

const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;
const two = (n: number) => String(n).padStart(2, '0');

/** A CPR number of someone aged 18–85 on `now`: a valid past date, the century digit consistent with it. */
export function randomCpr(now: Date = new Date()): string {
  const from = Date.UTC(now.getUTCFullYear() - 85, 0, 1);
  const to = Date.UTC(now.getUTCFullYear() - 18, now.getUTCMonth(), 1);
  const born = new Date(from + randomInt(Math.floor((to - from) / 86_400_000)) * 86_400_000);
  const year = born.getUTCFullYear();
  const first = sequenceDigitFor(year, (n) => randomInt(n));
  return `${two(born.getUTCDate())}${two(born.getUTCMonth() + 1)}${two(year % 100)}${first}${String(randomInt(1000)).padStart(3, '0')}`;
}

/** Lower-case ASCII for aliases (æ→ae, ø→oe, å→aa). */
function asciiName(s: string): string {
  return s
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'oe')
    .replace(/å/g, 'aa')
    .replace(/[^a-z]/g, '');
}

/** Valid random data; for `employee` also an organisation, a valid CVR number and a RID. */
export function autofill(now: Date = new Date(), kind: 'personal' | 'employee' = 'personal'): TestUserDraft {
  const firstName = pick(FIRST);
  const lastName = pick(LAST);
  const [zip, town] = pick(TOWNS);
  const employee =
    kind === 'employee'
      ? { organisation: pick(ORGANISATIONS), cvr: randomCvr(randomInt), rid: String(randomInt(10_000, 100_000_000)) }
      : {};
  return {
    kind,
    ...employee,
    alias: `${asciiName(firstName)}.${asciiName(lastName)}${randomInt(100, 10_000)}`,
    password: `Test-${randomBytes(6).toString('base64url')}`,
    firstName,
    lastName,
    cpr: randomCpr(now),
    address: `${pick(STREETS)} ${randomInt(1, 120)}, ${zip} ${town}`,
  };
}
