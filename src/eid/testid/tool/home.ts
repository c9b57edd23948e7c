// The tool's home page: what the test eID is, create a user (with an "Autofill" that needs no
// JavaScript), find a user by alias, CPR number or PID.
import { TestIdError, type TestUser, type TestUserDraft } from '../users';
import { t, type TextKey } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import { cprText, hidden, redirect, send, sentence, str, TESTID_BASE, userPath, type Ctx, type Handler, type Tool } from './shell';

type Field = 'firstName' | 'lastName' | 'cpr' | 'address' | 'alias' | 'password';
const FIELDS: Array<{ name: Field; label: TextKey; hint?: TextKey; max: number; autocomplete: string; inputmode?: string }> = [
  { name: 'firstName', label: 'testid.field.firstName', max: 100, autocomplete: 'off' },
  { name: 'lastName', label: 'testid.field.lastName', max: 100, autocomplete: 'off' },
  { name: 'cpr', label: 'testid.field.cpr', hint: 'testid.field.cprHint', max: 11, autocomplete: 'off', inputmode: 'numeric' },
  { name: 'address', label: 'testid.field.address', max: 500, autocomplete: 'off' },
  { name: 'alias', label: 'testid.field.alias', hint: 'testid.field.aliasHint', max: 32, autocomplete: 'off' },
  { name: 'password', label: 'testid.field.password', hint: 'testid.field.passwordHint', max: 200, autocomplete: 'off' },
];

/** Which field a message of TestIdEnvironment.problem() is about (for showing it next to that field). */
function fieldOf(message: string, draft: Partial<TestUserDraft>): Field | undefined {
  if (/^the alias/.test(message)) return 'alias';
  if (/^the password/.test(message)) return 'password';
  if (/^first and last name|^the name/.test(message)) return draft.firstName?.trim() ? 'lastName' : 'firstName';
  if (/CPR/.test(message)) return 'cpr';
  if (/^the address/.test(message)) return 'address';
  return undefined;
}

interface HomeState {
  draft?: Partial<TestUserDraft>;
  error?: { message: string; field?: Field };
  autofilled?: boolean;
  find?: { value: string; error?: string };
}

/** One labelled input of the create form, with its hint and error tied to it for screen readers. */
function field(c: Ctx, f: (typeof FIELDS)[number], value: string, error?: string): Html {
  const id = `f-${f.name}`;
  const described = [f.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const hint = f.hint && html`<span class="hint" id="${id}-hint">${t(c.lang, f.hint)}</span>`;
  const attrs = html`${f.inputmode && html` inputmode="${f.inputmode}"`}${described && html` aria-describedby="${described}"`}${error && html` aria-invalid="true"`}`;
  const input = html`<input type="text" id="${id}" name="${f.name}" value="${value}" maxlength="${f.max}" autocomplete="${f.autocomplete}" spellcheck="false" required${attrs}>`;
  return html`<div class="field"><label for="${id}">${t(c.lang, f.label)}</label>${hint}${input}${error && html`<span class="field-error" id="${id}-error">${error}</span>`}</div>`;
}

/** The create form: the draft's fields (with its errors), "Create" and "Autofill". */
function createForm(c: Ctx, f: (n: Field) => Html): Html {
  const fields = html`<div class="fields">${f('firstName')}${f('lastName')}</div>${f('cpr')}${f('address')}<div class="fields">${f('alias')}${f('password')}</div>`;
  // "Create" first: Enter in a field submits the form's first button
  const actions = html`<div class="actions"><button class="button" name="do" value="create">${t(c.lang, 'testid.create.submit')}</button><button class="button secondary" name="do" value="autofill" formnovalidate>${t(c.lang, 'testid.create.autofill')}</button></div>`;
  return html`<form method="post" action="${TESTID_BASE}/users" aria-labelledby="create">${hidden(c)}${fields}${actions}</form>`;
}

/** The find form: alias, CPR number or PID, with "no such user" tied to the field. */
function findForm(c: Ctx, find: HomeState['find']): Html {
  const findId = 'f-find';
  const findError = find?.error && html`<span class="field-error" id="${findId}-error">${find.error}</span>`;
  const input = html`<input type="text" id="${findId}" name="user" value="${find?.value ?? ''}" maxlength="40" autocomplete="off" spellcheck="false" required${
    findError && html` aria-invalid="true" aria-describedby="${findId}-error"`
  }>`;
  return html`<form method="get" action="${TESTID_BASE}/find" class="find" aria-labelledby="find"><div class="field"><label for="${findId}">${t(c.lang, 'testid.find.label')}</label>${input}${findError}</div><button class="button secondary">${t(c.lang, 'testid.find.submit')}</button></form>`;
}

/** The home page's main: the create form (with the draft, its error or the Autofill notice) and the find form. */
function home(c: Ctx, s: HomeState = {}): Html {
  const draft = s.draft ?? {};
  const value = (n: Field) => (n === 'cpr' ? cprText(str(draft.cpr)) : str(draft[n]));
  const errorFor = (n: Field) => (s.error && s.error.field === n ? s.error.message : undefined);
  const f = (n: Field) =>
    field(
      c,
      FIELDS.find((x) => x.name === n)!,
      value(n),
      errorFor(n),
    );
  const summary =
    s.error &&
    html`<div class="errors" role="alert"><h3>${t(c.lang, 'testid.create.failed')}</h3><p>${
      s.error.field ? html`<a href="#f-${s.error.field}">${s.error.message}</a>` : s.error.message
    }</p></div>`;
  const filled = s.autofilled && html`<p class="status info" role="status">${t(c.lang, 'testid.create.autofilled')}</p>`;
  const intro = html`<h1>${t(c.lang, 'testid.home.title')}</h1><p class="lead">${t(c.lang, 'testid.home.lead')}</p><p>${t(c.lang, 'testid.home.how')}</p>`;
  return html`${intro}<h2 id="create">${t(c.lang, 'testid.create.title')}</h2>${summary}${filled}<p class="hint">${t(c.lang, 'testid.create.hint')}</p>${createForm(c, f)}<h2 id="find">${t(c.lang, 'testid.find.title')}</h2>${findForm(c, s.find)}`;
}

/** GET /testid/: the home page, empty. */
export function homePage(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    send(res, 200, c, t(c.lang, 'testid.home.title'), home(c));
  };
}

/** GET /testid/find?user=: to the user's page, or the home page with "no such user" (404). */
export function findUser(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const q = str(req.query.user).trim().slice(0, 40);
    if (!q) {
      redirect(res, `${TESTID_BASE}/#find`);
      return;
    }
    const u = await tool.d.testid.user(q);
    if (u) {
      redirect(res, userPath(u.alias));
      return;
    }
    send(res, 404, c, t(c.lang, 'testid.home.title'), home(c, { find: { value: q, error: t(c.lang, 'testid.find.none') } }));
  };
}

/** The create form's fields as a draft (trimmed; the alias in lower case; the password as typed). */
function draftOf(body: Record<string, unknown>): TestUserDraft {
  return {
    firstName: str(body.firstName).trim(),
    lastName: str(body.lastName).trim(),
    cpr: str(body.cpr).trim(),
    address: str(body.address).trim(),
    alias: str(body.alias).trim().toLowerCase(),
    password: str(body.password),
  };
}

/** The message (and its field) for a user the environment refused to create. */
function creationError(c: Ctx, e: TestIdError, draft: TestUserDraft): NonNullable<HomeState['error']> {
  return e.code === 'alias-taken'
    ? { message: t(c.lang, 'testid.error.aliasTaken'), field: 'alias' as const }
    : e.code === 'cpr-taken'
      ? { message: t(c.lang, 'testid.error.cprTaken'), field: 'cpr' as const }
      : { message: sentence(e.message), field: fieldOf(e.message, draft) };
}

/** POST /testid/users: Autofill (the form again, filled in) or create (then to the new user's page). */
export function createUser(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const body = tool.checkedForm(req, res, c);
    if (!body) return;
    const title = t(c.lang, 'testid.home.title');
    if (body.do === 'autofill') {
      send(res, 200, c, title, home(c, { draft: tool.d.testid.autofill(), autofilled: true }));
      return;
    }
    const draft = draftOf(body);
    const bad = tool.d.testid.problem(draft);
    if (bad) {
      send(res, 400, c, title, home(c, { draft, error: { message: sentence(bad), field: fieldOf(bad, draft) } }));
      return;
    }
    let user: TestUser;
    try {
      user = await tool.d.testid.createUser(draft);
    } catch (e) {
      if (!(e instanceof TestIdError)) throw e;
      send(res, 400, c, title, home(c, { draft, error: creationError(c, e, draft) }));
      return;
    }
    tool.d.log.info({ alias: user.alias, pid: user.pid }, 'test user created');
    redirect(res, `${userPath(user.alias)}?done=created`);
  };
}
