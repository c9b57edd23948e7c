// The tool's home page: what the test eID is, create a user — personal, or an employee with an
// organisation, CVR number and RID — (with an "Autofill" that needs no JavaScript), find a user by
// alias, CPR number, PID or CVR-RID, and the list of employee users.
import { TestIdError, type TestUser, type TestUserDraft } from '../users';
import { t, type TextKey } from '../../../portal/i18n';
import { html, type Html } from '../../../portal/html';
import { cprText, hidden, redirect, send, sentence, str, TESTID_BASE, userPath, type Ctx, type Handler, type Tool } from './shell';

type Field = 'firstName' | 'lastName' | 'cpr' | 'address' | 'alias' | 'password' | 'organisation' | 'cvr' | 'rid';
type FieldSpec = { name: Field; label: TextKey; hint?: TextKey; max: number; autocomplete: string; inputmode?: string; optional?: boolean };
const FIELDS: FieldSpec[] = [
  { name: 'firstName', label: 'testid.field.firstName', max: 100, autocomplete: 'off' },
  { name: 'lastName', label: 'testid.field.lastName', max: 100, autocomplete: 'off' },
  { name: 'cpr', label: 'testid.field.cpr', hint: 'testid.field.cprHint', max: 11, autocomplete: 'off', inputmode: 'numeric' },
  { name: 'address', label: 'testid.field.address', max: 500, autocomplete: 'off' },
  { name: 'alias', label: 'testid.field.alias', hint: 'testid.field.aliasHint', max: 32, autocomplete: 'off' },
  { name: 'password', label: 'testid.field.password', hint: 'testid.field.passwordHint', max: 200, autocomplete: 'off' },
  // employees only (the server checks them when the kind is employee)
  { name: 'organisation', label: 'testid.field.organisation', max: 120, autocomplete: 'off', optional: true },
  {
    name: 'cvr',
    label: 'testid.field.cvrNumber',
    hint: 'testid.field.cvrNumberHint',
    max: 8,
    autocomplete: 'off',
    inputmode: 'numeric',
    optional: true,
  },
  {
    name: 'rid',
    label: 'testid.field.rid',
    hint: 'testid.field.ridHint',
    max: 16,
    autocomplete: 'off',
    inputmode: 'numeric',
    optional: true,
  },
];

/** The employee fields' problems (TestIdEnvironment.problem), in the tool's language. */
const EMPLOYEE_PROBLEMS: Array<[RegExp, Field, TextKey]> = [
  [/^the organisation/, 'organisation', 'testid.error.organisation'],
  [/^the CVR number/, 'cvr', 'testid.error.cvr'],
  [/^the RID/, 'rid', 'testid.error.rid'],
];

/** Which field a message of TestIdEnvironment.problem() is about (for showing it next to that field). */
function fieldOf(message: string, draft: Partial<TestUserDraft>): Field | undefined {
  const employee = EMPLOYEE_PROBLEMS.find(([re]) => re.test(message));
  if (employee) return employee[1];
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
  employees?: TestUser[];
}

/** One labelled input of the create form, with its hint and error tied to it for screen readers. */
function field(c: Ctx, f: (typeof FIELDS)[number], value: string, error?: string): Html {
  const id = `f-${f.name}`;
  const described = [f.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const hint = f.hint && html`<span class="hint" id="${id}-hint">${t(c.lang, f.hint)}</span>`;
  const attrs = html`${f.inputmode && html` inputmode="${f.inputmode}"`}${described && html` aria-describedby="${described}"`}${error && html` aria-invalid="true"`}`;
  const input = html`<input type="text" id="${id}" name="${f.name}" value="${value}" maxlength="${f.max}" autocomplete="${f.autocomplete}" spellcheck="false"${f.optional ? '' : html` required`}${attrs}>`;
  return html`<div class="field"><label for="${id}">${t(c.lang, f.label)}</label>${hint}${input}${error && html`<span class="field-error" id="${id}-error">${error}</span>`}</div>`;
}

/** Personal or employee: a radio group (personal unless the draft says employee). */
function kindChoice(c: Ctx, kind: TestUserDraft['kind']): Html {
  const option = (value: 'personal' | 'employee', label: TextKey) =>
    html`<p class="choice"><input type="radio" id="f-kind-${value}" name="kind" value="${value}"${
      (kind === 'employee') === (value === 'employee') ? html` checked` : ''
    }> <label for="f-kind-${value}" class="inline">${t(c.lang, label)}</label></p>`;
  return html`<fieldset class="field"><legend>${t(c.lang, 'testid.field.kind')}</legend>${option('personal', 'testid.kind.personal')}${option('employee', 'testid.kind.employee')}</fieldset>`;
}

/** The create form: the kind, the draft's fields (with its errors), the employee's fields, "Create" and "Autofill". */
function createForm(c: Ctx, f: (n: Field) => Html, kind: TestUserDraft['kind']): Html {
  const employee = html`<fieldset class="field"><legend>${t(c.lang, 'testid.employee.legend')}</legend><p class="hint">${t(c.lang, 'testid.employee.hint')}</p>${f('organisation')}<div class="fields">${f('cvr')}${f('rid')}</div></fieldset>`;
  const fields = html`${kindChoice(c, kind)}<div class="fields">${f('firstName')}${f('lastName')}</div>${f('cpr')}${f('address')}<div class="fields">${f('alias')}${f('password')}</div>${employee}`;
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
  return html`${intro}<h2 id="create">${t(c.lang, 'testid.create.title')}</h2>${summary}${filled}<p class="hint">${t(c.lang, 'testid.create.hint')}</p>${createForm(c, f, draft.kind)}<h2 id="find">${t(c.lang, 'testid.find.title')}</h2>${findForm(c, s.find)}${employeeList(c, s.employees ?? [])}`;
}

/** The employee users (newest first): name (to the user's page), alias, organisation, CVR number, RID. */
function employeeList(c: Ctx, users: TestUser[]): Html {
  const head = html`<thead><tr>${(
    ['testid.user.name', 'testid.field.alias', 'testid.field.organisation', 'testid.field.cvrNumber', 'testid.field.rid'] as const
  ).map((k) => html`<th scope="col">${t(c.lang, k)}</th>`)}</tr></thead>`;
  const rows = users.map(
    (u) =>
      html`<tr><td><a href="${userPath(u.alias)}">${u.name}</a></td><td>${u.alias}</td><td>${u.employee!.organisation}</td><td>${u.employee!.cvr}</td><td>${u.employee!.rid}</td></tr>`,
  );
  const title = html`<h2 id="employees">${t(c.lang, 'testid.employees.title')}</h2>`;
  return users.length
    ? html`${title}<table class="data" aria-labelledby="employees"><caption class="hint">${t(c.lang, 'testid.employees.caption')}</caption>${head}<tbody>${rows}</tbody></table>`
    : html`${title}<p>${t(c.lang, 'testid.employees.none')}</p>`;
}

/** GET /testid/: the home page, empty. */
export function homePage(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    send(res, 200, c, t(c.lang, 'testid.home.title'), home(c, { employees: await tool.d.testid.employees() }));
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
    const employees = await tool.d.testid.employees();
    send(res, 404, c, t(c.lang, 'testid.home.title'), home(c, { find: { value: q, error: t(c.lang, 'testid.find.none') }, employees }));
  };
}

/** The create form's fields as a draft (trimmed; the alias in lower case; the password as typed). */
function draftOf(body: Record<string, unknown>): TestUserDraft {
  const employee =
    body.kind === 'employee'
      ? { kind: 'employee' as const, organisation: str(body.organisation).trim(), cvr: str(body.cvr).trim(), rid: str(body.rid).trim() }
      : { kind: 'personal' as const };
  return {
    ...employee,
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
      : e.code === 'employee-taken'
        ? { message: t(c.lang, 'testid.error.employeeTaken'), field: 'rid' as const }
        : { message: sentence(e.message), field: fieldOf(e.message, draft) };
}

/** A problem of the draft as the person reads it: the employee fields' in the tool's language. */
function problemError(c: Ctx, bad: string, draft: TestUserDraft): NonNullable<HomeState['error']> {
  const employee = EMPLOYEE_PROBLEMS.find(([re]) => re.test(bad));
  return employee ? { message: t(c.lang, employee[2]), field: employee[1] } : { message: sentence(bad), field: fieldOf(bad, draft) };
}

/** POST /testid/users: Autofill (the form again, filled in) or create (then to the new user's page). */
export function createUser(tool: Tool): Handler {
  return async (req, res) => {
    const c = tool.ctx(req);
    const body = tool.checkedForm(req, res, c);
    if (!body) return;
    const title = t(c.lang, 'testid.home.title');
    const employees = await tool.d.testid.employees();
    if (body.do === 'autofill') {
      const draft = tool.d.testid.autofill(body.kind === 'employee' ? 'employee' : 'personal');
      send(res, 200, c, title, home(c, { draft, autofilled: true, employees }));
      return;
    }
    const draft = draftOf(body);
    const bad = tool.d.testid.problem(draft);
    if (bad) {
      send(res, 400, c, title, home(c, { draft, error: problemError(c, bad, draft), employees }));
      return;
    }
    let user: TestUser;
    try {
      user = await tool.d.testid.createUser(draft);
    } catch (e) {
      if (!(e instanceof TestIdError)) throw e;
      send(res, 400, c, title, home(c, { draft, error: creationError(c, e, draft), employees }));
      return;
    }
    tool.d.log.info({ alias: user.alias, pid: user.pid, ...(user.employee ? { cvr: user.employee.cvr } : {}) }, 'test user created');
    redirect(res, `${userPath(user.alias)}?done=created`);
  };
}
