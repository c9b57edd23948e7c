// The portal's text library: da, en, nb, sv, fi. The task's (or request's) language wins, then the
// browser's Accept-Language, then English. A service may override single texts (later: per profile).
export const LANGUAGES = ['en', 'da', 'nb', 'sv', 'fi'] as const;
export type Lang = (typeof LANGUAGES)[number];

const EN = {
  'app.name': 'Signing',
  'skip': 'Skip to content',
  'footer': 'Secured by segl',
  'notfound.title': 'We could not find this task',
  'notfound.body': 'The link may be incomplete or mistyped. Open the link from your message again, or contact the sender.',
  'closed.withdrawn.title': 'This task has been withdrawn',
  'closed.withdrawn.body': 'The sender has withdrawn it, so there is nothing to sign. Contact the sender if you think this is a mistake.',
  'closed.expired.title': 'This task has expired',
  'closed.expired.body': 'The time for signing has run out. Ask the sender for a new link if you still need to sign.',
  'closed.completed.title': 'This task is completed',
  'closed.completed.body': 'You have already completed it. There is nothing more to do.',
  'closed.rejected.title': 'This task was declined',
  'closed.rejected.body': 'It was declined, so it cannot be signed any more. Contact the sender if you want to sign after all.',
  'closed.failed.title': 'This task could not be completed',
  'closed.failed.body': 'Something went wrong on our side. Contact the sender; they can send you a new task.',
  'waiting.title': 'Waiting for others',
  'waiting.body': 'Others must sign before you. We will let you know when it is your turn; the same link will work then.',
  'waiting.count': '{n} signature(s) still missing before yours.',
  'task.title': 'Documents to sign',
  'task.documents': 'Documents',
  'task.sign': 'To sign',
  'task.view': 'For your information',
  'task.upload': 'To upload',
  'task.signed': 'Signed',
  'task.open': 'Open',
  'login.title': 'Log in to continue',
  'login.body': 'Confirm who you are before you read and sign the documents.',
  'login.with': 'Log in with {method}',
  'artifact.used': 'The link you used was valid only once or only for a short time. Please log in instead.',
  'session.ok': 'You are logged in for this task.',
  'error.title': 'Something went wrong',
  'error.body': 'Please try again in a moment. If it keeps happening, contact the sender and quote reference {ref}.',
} as const;
export type TextKey = keyof typeof EN;
type Texts = Record<TextKey, string>;

const DA: Texts = {
  'app.name': 'Underskrift',
  'skip': 'Gå til indhold',
  'footer': 'Sikret af segl',
  'notfound.title': 'Vi kunne ikke finde denne opgave',
  'notfound.body': 'Linket kan være ufuldstændigt eller forkert. Åbn linket fra din besked igen, eller kontakt afsenderen.',
  'closed.withdrawn.title': 'Opgaven er trukket tilbage',
  'closed.withdrawn.body': 'Afsenderen har trukket den tilbage, så der er intet at underskrive. Kontakt afsenderen, hvis du mener, det er en fejl.',
  'closed.expired.title': 'Opgaven er udløbet',
  'closed.expired.body': 'Fristen for at underskrive er overskredet. Bed afsenderen om et nyt link, hvis du stadig skal underskrive.',
  'closed.completed.title': 'Opgaven er gennemført',
  'closed.completed.body': 'Du har allerede gennemført den. Der er ikke mere at gøre.',
  'closed.rejected.title': 'Opgaven blev afvist',
  'closed.rejected.body': 'Den blev afvist og kan ikke længere underskrives. Kontakt afsenderen, hvis du alligevel vil underskrive.',
  'closed.failed.title': 'Opgaven kunne ikke gennemføres',
  'closed.failed.body': 'Der gik noget galt hos os. Kontakt afsenderen, som kan sende dig en ny opgave.',
  'waiting.title': 'Venter på andre',
  'waiting.body': 'Andre skal underskrive før dig. Vi giver besked, når det er din tur; det samme link virker da.',
  'waiting.count': 'Der mangler stadig {n} underskrift(er) før din.',
  'task.title': 'Dokumenter til underskrift',
  'task.documents': 'Dokumenter',
  'task.sign': 'Skal underskrives',
  'task.view': 'Til orientering',
  'task.upload': 'Skal uploades',
  'task.signed': 'Underskrevet',
  'task.open': 'Åbn',
  'login.title': 'Log ind for at fortsætte',
  'login.body': 'Bekræft, hvem du er, før du læser og underskriver dokumenterne.',
  'login.with': 'Log ind med {method}',
  'artifact.used': 'Linket, du brugte, gjaldt kun én gang eller kun kort tid. Log venligst ind i stedet.',
  'session.ok': 'Du er logget ind til denne opgave.',
  'error.title': 'Der gik noget galt',
  'error.body': 'Prøv igen om lidt. Hvis det bliver ved, så kontakt afsenderen og oplys reference {ref}.',
};

const NB: Texts = {
  'app.name': 'Signering',
  'skip': 'Gå til innhold',
  'footer': 'Sikret av segl',
  'notfound.title': 'Vi fant ikke denne oppgaven',
  'notfound.body': 'Lenken kan være ufullstendig eller feil. Åpne lenken fra meldingen din på nytt, eller kontakt avsenderen.',
  'closed.withdrawn.title': 'Oppgaven er trukket tilbake',
  'closed.withdrawn.body': 'Avsenderen har trukket den tilbake, så det er ingenting å signere. Kontakt avsenderen hvis du mener dette er feil.',
  'closed.expired.title': 'Oppgaven har utløpt',
  'closed.expired.body': 'Fristen for å signere er ute. Be avsenderen om en ny lenke hvis du fortsatt skal signere.',
  'closed.completed.title': 'Oppgaven er fullført',
  'closed.completed.body': 'Du har allerede fullført den. Det er ikke mer å gjøre.',
  'closed.rejected.title': 'Oppgaven ble avvist',
  'closed.rejected.body': 'Den ble avvist og kan ikke lenger signeres. Kontakt avsenderen hvis du likevel vil signere.',
  'closed.failed.title': 'Oppgaven kunne ikke fullføres',
  'closed.failed.body': 'Noe gikk galt hos oss. Kontakt avsenderen, som kan sende deg en ny oppgave.',
  'waiting.title': 'Venter på andre',
  'waiting.body': 'Andre må signere før deg. Vi gir beskjed når det er din tur; den samme lenken virker da.',
  'waiting.count': 'Det mangler fortsatt {n} signatur(er) før din.',
  'task.title': 'Dokumenter til signering',
  'task.documents': 'Dokumenter',
  'task.sign': 'Skal signeres',
  'task.view': 'Til orientering',
  'task.upload': 'Skal lastes opp',
  'task.signed': 'Signert',
  'task.open': 'Åpne',
  'login.title': 'Logg inn for å fortsette',
  'login.body': 'Bekreft hvem du er før du leser og signerer dokumentene.',
  'login.with': 'Logg inn med {method}',
  'artifact.used': 'Lenken du brukte gjaldt bare én gang eller bare en kort stund. Logg inn i stedet.',
  'session.ok': 'Du er logget inn for denne oppgaven.',
  'error.title': 'Noe gikk galt',
  'error.body': 'Prøv igjen om litt. Hvis det fortsetter, kontakt avsenderen og oppgi referanse {ref}.',
};

const SV: Texts = {
  'app.name': 'Signering',
  'skip': 'Hoppa till innehållet',
  'footer': 'Säkrad av segl',
  'notfound.title': 'Vi hittade inte den här uppgiften',
  'notfound.body': 'Länken kan vara ofullständig eller felaktig. Öppna länken i ditt meddelande igen eller kontakta avsändaren.',
  'closed.withdrawn.title': 'Uppgiften har dragits tillbaka',
  'closed.withdrawn.body': 'Avsändaren har dragit tillbaka den, så det finns inget att signera. Kontakta avsändaren om du tror att det är fel.',
  'closed.expired.title': 'Uppgiften har gått ut',
  'closed.expired.body': 'Tiden för att signera har gått ut. Be avsändaren om en ny länk om du fortfarande ska signera.',
  'closed.completed.title': 'Uppgiften är slutförd',
  'closed.completed.body': 'Du har redan slutfört den. Det finns inget mer att göra.',
  'closed.rejected.title': 'Uppgiften avböjdes',
  'closed.rejected.body': 'Den avböjdes och kan inte längre signeras. Kontakta avsändaren om du ändå vill signera.',
  'closed.failed.title': 'Uppgiften kunde inte slutföras',
  'closed.failed.body': 'Något gick fel hos oss. Kontakta avsändaren, som kan skicka en ny uppgift.',
  'waiting.title': 'Väntar på andra',
  'waiting.body': 'Andra måste signera före dig. Vi meddelar dig när det är din tur; samma länk fungerar då.',
  'waiting.count': '{n} signatur(er) saknas fortfarande före din.',
  'task.title': 'Dokument att signera',
  'task.documents': 'Dokument',
  'task.sign': 'Ska signeras',
  'task.view': 'För kännedom',
  'task.upload': 'Ska laddas upp',
  'task.signed': 'Signerat',
  'task.open': 'Öppna',
  'login.title': 'Logga in för att fortsätta',
  'login.body': 'Bekräfta vem du är innan du läser och signerar dokumenten.',
  'login.with': 'Logga in med {method}',
  'artifact.used': 'Länken du använde gällde bara en gång eller en kort stund. Logga in i stället.',
  'session.ok': 'Du är inloggad för den här uppgiften.',
  'error.title': 'Något gick fel',
  'error.body': 'Försök igen om en stund. Om det fortsätter, kontakta avsändaren och ange referens {ref}.',
};

const FI: Texts = {
  'app.name': 'Allekirjoitus',
  'skip': 'Siirry sisältöön',
  'footer': 'Suojaa segl',
  'notfound.title': 'Tehtävää ei löytynyt',
  'notfound.body': 'Linkki voi olla puutteellinen tai virheellinen. Avaa viestisi linkki uudelleen tai ota yhteyttä lähettäjään.',
  'closed.withdrawn.title': 'Tehtävä on peruttu',
  'closed.withdrawn.body': 'Lähettäjä on perunut sen, joten allekirjoitettavaa ei ole. Ota yhteyttä lähettäjään, jos kyse on mielestäsi virheestä.',
  'closed.expired.title': 'Tehtävä on vanhentunut',
  'closed.expired.body': 'Allekirjoitusaika on päättynyt. Pyydä lähettäjältä uusi linkki, jos sinun pitää vielä allekirjoittaa.',
  'closed.completed.title': 'Tehtävä on valmis',
  'closed.completed.body': 'Olet jo suorittanut sen. Muuta tehtävää ei ole.',
  'closed.rejected.title': 'Tehtävä hylättiin',
  'closed.rejected.body': 'Se hylättiin, eikä sitä voi enää allekirjoittaa. Ota yhteyttä lähettäjään, jos haluat kuitenkin allekirjoittaa.',
  'closed.failed.title': 'Tehtävää ei voitu suorittaa',
  'closed.failed.body': 'Meillä tapahtui virhe. Ota yhteyttä lähettäjään; hän voi lähettää sinulle uuden tehtävän.',
  'waiting.title': 'Odotetaan muita',
  'waiting.body': 'Muiden on allekirjoitettava ennen sinua. Ilmoitamme, kun on sinun vuorosi; sama linkki toimii silloin.',
  'waiting.count': 'Ennen sinua puuttuu vielä {n} allekirjoitus(ta).',
  'task.title': 'Allekirjoitettavat asiakirjat',
  'task.documents': 'Asiakirjat',
  'task.sign': 'Allekirjoitettava',
  'task.view': 'Tiedoksi',
  'task.upload': 'Ladattava',
  'task.signed': 'Allekirjoitettu',
  'task.open': 'Avaa',
  'login.title': 'Kirjaudu jatkaaksesi',
  'login.body': 'Vahvista henkilöllisyytesi ennen kuin luet ja allekirjoitat asiakirjat.',
  'login.with': 'Kirjaudu: {method}',
  'artifact.used': 'Käyttämäsi linkki oli voimassa vain kerran tai vain hetken. Kirjaudu sen sijaan sisään.',
  'session.ok': 'Olet kirjautunut tähän tehtävään.',
  'error.title': 'Jokin meni vikaan',
  'error.body': 'Yritä hetken kuluttua uudelleen. Jos ongelma jatkuu, ota yhteyttä lähettäjään ja mainitse viite {ref}.',
};

export const TEXTS: Record<Lang, Texts> = { en: EN, da: DA, nb: NB, sv: SV, fi: FI };

const ALIASES: Record<string, Lang> = { no: 'nb', nn: 'nb', 'nb-no': 'nb', 'da-dk': 'da', 'sv-se': 'sv', 'fi-fi': 'fi' };

function normalise(tag: string): Lang | undefined {
  const t = tag.trim().toLowerCase();
  if ((LANGUAGES as readonly string[]).includes(t)) return t as Lang;
  if (ALIASES[t]) return ALIASES[t];
  const base = t.split('-')[0]!;
  if ((LANGUAGES as readonly string[]).includes(base)) return base as Lang;
  return ALIASES[base];
}

/** The task's language if segl has it, else the browser's preference (by q), else English. */
export function pickLanguage(taskLanguage: string | undefined, acceptLanguage: string | undefined): Lang {
  const own = taskLanguage ? normalise(taskLanguage) : undefined;
  if (own) return own;
  const prefs = (acceptLanguage ?? '').split(',').map((p) => {
    const [tag, ...params] = p.split(';');
    const q = params.map((x) => /^\s*q=([0-9.]+)\s*$/.exec(x)?.[1]).find(Boolean);
    return { tag: tag ?? '', q: q === undefined ? 1 : Number(q) };
  }).filter((p) => p.tag && p.q > 0).sort((a, b) => b.q - a.q);
  for (const p of prefs) {
    const l = normalise(p.tag);
    if (l) return l;
  }
  return 'en';
}

/** A text with `{name}` placeholders filled in (values are plain text; the layout escapes). */
export function t(lang: Lang, key: TextKey, vars: Record<string, string | number> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (whole, k: string) => (k in vars ? String(vars[k]) : whole));
}
