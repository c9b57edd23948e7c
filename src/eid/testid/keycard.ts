// NemID-style key cards: a card number and 148 pairs of a 4-digit key number and a 6-digit one-time
// code. The card is stored sealed (the test tool shows it); each code also as an HMAC, so checking an
// answer needs no decryption. A challenge names a random unused key number; a correct code is used
// up. When 20 or fewer unused codes are left over all the user's cards, a new card is issued; the old
// one stays valid until its last code is used (challenges draw from the oldest card first).
import { randomInt } from 'node:crypto';
import { mac, open, seal } from '../../util/secretbox';
import type { NewKeyCard } from '../../store/testusers';
import { equalSecret } from '../../util/bytes';

export const KEY_CARD_SIZE = 148;
/** a new card is issued when this many unused codes (or fewer) are left */
export const KEY_CARD_RENEW_AT = 20;

export interface KeyPair {
  keyNumber: string;
  code: string;
}

/** What a key-card view shows. */
export interface KeyCardView {
  cardId: string;
  createdAt: string;
  /** the card challenges are drawn from now */
  inUse: boolean;
  remaining: number;
  codes: Array<KeyPair & { used: boolean; usedAt?: string }>;
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

/** A fresh card: `size` distinct random key numbers (sorted, as printed) with random codes. */
export function generateKeyCard(size = KEY_CARD_SIZE): { cardId: string; codes: KeyPair[] } {
  const numbers = new Set<string>();
  while (numbers.size < size) numbers.add(digits(4));
  return { cardId: digits(10), codes: [...numbers].sort().map((keyNumber) => ({ keyNumber, code: digits(6) })) };
}

const cardAad = (cardId: string) => `segl:key_card:${cardId}`;
const codeMac = (macKey: Buffer, cardId: string, k: KeyPair) => mac(macKey, `${cardId}:${k.keyNumber}:${k.code}`);

/** The stored form of a card: sealed pairs and one MAC per code. */
export function sealKeyCard(card: { cardId: string; codes: KeyPair[] }, dataKey: Buffer, macKey: Buffer): NewKeyCard {
  return {
    id: card.cardId,
    codes: seal(dataKey, JSON.stringify(card.codes.map((k) => [k.keyNumber, k.code])), cardAad(card.cardId)),
    macs: card.codes.map((k) => ({ keyNumber: k.keyNumber, mac: codeMac(macKey, card.cardId, k) })),
  };
}

export function openKeyCard(cardId: string, sealed: string, dataKey: Buffer): KeyPair[] {
  const json = open(dataKey, sealed, cardAad(cardId));
  if (json === undefined) throw new Error(`key card ${cardId} cannot be decrypted (was SEGL_SECRET changed?)`);
  return (JSON.parse(json) as Array<[string, string]>).map(([keyNumber, code]) => ({ keyNumber, code }));
}

/** Whether `code` is the code at `keyNumber` of `cardId` (constant time). */
export function codeMatches(macKey: Buffer, cardId: string, keyNumber: string, code: string, storedMac: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const a = Buffer.from(codeMac(macKey, cardId, { keyNumber, code }), 'hex');
  const b = Buffer.from(storedMac, 'hex');
  return equalSecret(a, b);
}
