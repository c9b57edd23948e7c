// A test user's printable key card(s): every key number with its code, used ones marked, each card
// in four tables so that it prints like the paper card.
import { KEY_CARD_RENEW_AT, type KeyCardView } from '../keycard';
import { t } from '../../../portal/i18n';
import { html, join, type Html } from '../../../portal/html';
import { back, send, time, userPath, type Ctx, type Handler, type Tool } from './shell';
import { resolveUser } from './user';

/** One table of a card: the pairs from `chunk`'s first key number to its last. */
function keyTable(c: Ctx, card: KeyCardView, chunk: KeyCardView['codes']): Html {
  const caption = t(c.lang, 'testid.card.part', {
    id: card.cardId,
    from: chunk[0]!.keyNumber,
    to: chunk[chunk.length - 1]!.keyNumber,
  });
  const rows = chunk.map(
    (k) =>
      html`<tr${k.used && html` class="used"`}><th scope="row">${k.keyNumber}</th><td><span class="code">${k.code}</span>${
        k.used && html`<span class="sr"> (${t(c.lang, 'testid.card.used')})</span><span aria-hidden="true"> ✓</span>`
      }</td></tr>`,
  );
  return html`<table class="keys"><caption class="sr">${caption}</caption><thead><tr><th scope="col">${t(c.lang, 'testid.card.key')}</th><th scope="col">${t(c.lang, 'testid.card.code')}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** One card: its heading, whether it is in use, how many codes remain, when it was issued, its tables. */
function cardSection(c: Ctx, card: KeyCardView): Html {
  const headId = `card-${card.cardId}`;
  const parts = 4;
  const size = Math.ceil(card.codes.length / parts) || 1;
  const tables: Html[] = [];
  for (let i = 0; i < card.codes.length; i += size) tables.push(keyTable(c, card, card.codes.slice(i, i + size)));
  // the issue time as a <time> inside the translated sentence
  const issued = join(t(c.lang, 'testid.card.issued', { time: '\u0000' }).split('\u0000'), time(card.createdAt));
  const meta = html`<p class="keycard-meta"><span class="tag${card.inUse ? ' done' : ''}">${t(c.lang, card.inUse ? 'testid.card.inUse' : 'testid.card.next')}</span><span>${t(c.lang, 'testid.card.remaining', { n: card.remaining, total: card.codes.length })}</span><span>${issued}</span></p>`;
  return html`<section class="keycard" aria-labelledby="${headId}"><h2 id="${headId}">${t(c.lang, 'testid.card.heading', { id: card.cardId })}</h2>${meta}<div class="keygrid">${tables}</div></section>`;
}

/** GET /testid/users/:alias/keycard: the user's valid cards (or a sentence saying there are none). */
export function keyCardPage(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const u = await resolveUser(tool, req, res, c, '/keycard');
    if (!u) return;
    const cards = await tool.d.testid.keyCards(u.alias);
    const body = cards.map((card) => cardSection(c, card));
    const title = t(c.lang, 'testid.card.title');
    const lead = html`<p class="lead">${t(c.lang, 'testid.card.lead', { name: u.name, alias: u.alias, n: KEY_CARD_RENEW_AT })}</p>`;
    const none = html`<p>${t(c.lang, 'testid.card.none')}</p>`;
    const crumbs = back(c, userPath(u.alias), t(c.lang, 'testid.card.back', { name: u.name }));
    send(
      res,
      200,
      c,
      `${title} · ${u.name}`,
      html`${crumbs}<h1>${title}</h1>${lead}<p class="noprint">${t(c.lang, 'testid.card.print')}</p>${body.length ? body : none}`,
    );
  };
}
