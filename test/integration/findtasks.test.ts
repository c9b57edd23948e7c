// findTasks / getTaskCount on the real databases: every task-filter-field with all five operators,
// case-sensitive and not, from/to-date, paging and sorting. The expected answer comes from the
// core's reference semantics (core/filter.ts `matches`) applied to the same rows.
import { TASK_FILTER_FIELDS, LOGICAL_OPERATORS, type TaskFilterField } from '../../src/core/enums';
import { compileFilter, fieldKind, matches } from '../../src/core/filter';
import type { ServiceAccount } from '../../src/core/ports';
import type { SigningRequest } from '../../src/core/types';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post } from '../support/soap';

type Row = Record<string, string>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(i: number): SigningRequest {
  const langs = ['en', 'da', 'NB', 'en'];
  return {
    language: langs[i % 4],
    account: i % 2 ? 'Acme' : 'acme-north',
    clientReference: ['Alpha-1', 'alpha-2', 'Beta', 'BETA-x'][i % 4],
    sender: { uniqueId: `Sender-${i % 3}` },
    subject: [
      {
        id: 's',
        firstName: ['Ann', 'ann', 'Bo', 'Cy'][i % 4],
        lastName: `Berg${i}`,
        email: `p${i}@Example.com`,
        nationalId: `01018${i}1234`,
        mobile: `+45 1234 56${i}`,
      },
    ],
    document: [
      {
        kind: 'provided-document',
        id: `doc-${i}`,
        mimeType: i % 2 ? 'application/pdf' : 'text/plain',
        description: `Contract ${['A', 'b', 'C'][i % 3]}`,
        data: Buffer.from(`d${i}`),
      },
    ],
    task: [
      ...(i % 4 === 1
        ? [
            {
              id: `c${i}`,
              documentAction: [
                {
                  type: 'view' as const,
                  document: {
                    kind: 'provided-document' as const,
                    id: `arc-${i}`,
                    mimeType: 'text/plain',
                    description: 'kept',
                    data: Buffer.from(`keep ${i}`),
                    sendToArchive: true,
                  },
                },
              ],
            },
          ]
        : []),
      {
        id: `a${i}`,
        subjectRef: 's',
        daysToLive: [5, 30, 100][i % 3],
        documentAction: [{ type: 'sign', documentRef: `doc-${i}` }],
        authentication: { method: ['nemid'] },
      },
      {
        id: `b${i}`,
        daysToLive: 30,
        documentAction: [{ type: 'view', documentRef: `doc-${i}` }],
        signature: [{ method: [{ value: 'nemid-sign' }] }],
      },
    ],
  };
}

function criteriaXml(field: string, value: string, operator?: string, caseSensitive?: boolean): string {
  return (
    `<criteria><field>${field}</field><value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${value}</value>` +
    `${operator ? `<operator>${operator}</operator>` : ''}${caseSensitive === undefined ? '' : `<case-sensitive>${caseSensitive}</case-sensitive>`}</criteria>`
  );
}

function parseTasks(xml: string): Row[] {
  return [...xml.matchAll(/<task ([^>]*?)\/>/g)].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

/** task-info attribute for a filter field (the filter says task-state, task-info says task-status). */
const attrOf = (f: TaskFilterField): string => (f === 'task-state' ? 'task-status' : f);

describe.each(databases())('findTasks semantics on %s', (db) => {
  let s: TestServer;
  let svc: ServiceAccount;
  let all: Row[];
  const authType = new Map<string, string>();
  const cred = () => `<service>demo</service><password>${s.demoPassword}</password>`;
  const find = async (criteria: string, extra = '', dates = '') => {
    const r = await post(
      s.endpoint,
      envelope(`<find-tasks-request xmlns="${NS}">${cred()}<filter>${criteria}${dates}</filter>${extra}</find-tasks-request>`),
    );
    if (r.status !== 200) throw new Error(faultString(r.text) ?? r.text);
    return parseTasks(r.text);
  };
  const count = async (criteria: string) => {
    const r = await post(
      s.endpoint,
      envelope(`<get-task-count-request xmlns="${NS}">${cred()}<filter>${criteria}</filter></get-task-count-request>`),
    );
    return Number(/<count>(\d+)<\/count>/.exec(r.text)![1]);
  };

  beforeAll(async () => {
    s = await startServer(db);
    svc = (await s.rt.services.find('demo'))!;
    // Another service's tasks must never show up.
    const other = await s.rt.services.create('other', 'other-password-1');
    await s.rt.documents.requests.createRequest(other, [request(0)]);
    for (let i = 0; i < 8; i++) {
      const { requestIds } = await s.rt.documents.requests.createRequest(svc, [request(i)]);
      authType.set(`${requestIds[0]}/a${i}`, 'nemid');
      authType.set(`${requestIds[0]}/b${i}`, 'nemid-sign');
      if (i % 4 === 1) authType.set(`${requestIds[0]}/c${i}`, '');
      if (i % 3 === 0) await s.rt.documents.requests.setClientStatus(svc, requestIds[0]!, `a${i}`, i % 2 ? 'Reminded' : 'reminded-twice');
      if (i === 5) await s.rt.documents.requests.disableTask(svc, requestIds[0]!, `b${i}`);
      await sleep(5); // distinct created times
    }
    all = await find('', '<from-index>0</from-index><to-index>1000</to-index>');
  });
  afterAll(async () => {
    await s.stop();
  });

  test('no criteria: every task of this service and none of another', () => {
    expect(all).toHaveLength(18);
    expect(new Set(all.map((r) => r['sender-unique-id']))).toEqual(new Set(['Sender-0', 'Sender-1', 'Sender-2']));
  });

  const fields = TASK_FILTER_FIELDS.filter((f) => f !== 'authentication-type');
  const valueFor = (field: TaskFilterField, upper: boolean): string | undefined => {
    const present = all.map((r) => r[attrOf(field)]).filter((x): x is string => x !== undefined);
    const v = present[Math.min(5, present.length - 1)] ?? 'Zz-none'; // signer: nobody has signed yet
    return upper ? v.toUpperCase() : v;
  };

  test.each(fields.flatMap((f) => LOGICAL_OPERATORS.map((o) => [f, o] as const)))(
    '%s %s agrees with the reference semantics',
    async (field, operator) => {
      const kind = fieldKind(field);
      if (kind !== 'string' && operator === 'contains') {
        const r = await post(
          s.endpoint,
          envelope(
            `<find-tasks-request xmlns="${NS}">${cred()}<filter>${criteriaXml(field, valueFor(field, false)!, operator)}</filter></find-tasks-request>`,
          ),
        );
        expect(faultString(r.text)).toContain(`contains does not apply to ${field}`);
        return;
      }
      for (const caseSensitive of kind === 'string' ? [true, false] : [true]) {
        let value = valueFor(field, !caseSensitive)!;
        if (operator === 'contains') value = value.slice(1, Math.max(2, value.length - 1));
        const c = compileFilter({ criteria: [{ field, value, operator, caseSensitive }] }).criteria[0]!;
        const expected = all
          .filter((r) =>
            matches((f) => {
              const v = r[attrOf(f)];
              if (v === undefined) return undefined;
              if (c.kind === 'int') return Number(v);
              if (c.kind === 'date') return new Date(v).toISOString();
              return v;
            }, c),
          )
          .map((r) => r.id)
          .sort();
        const got = (await find(criteriaXml(field, value, operator, caseSensitive), '<to-index>1000</to-index>')).map((r) => r.id).sort();
        expect({ field, operator, caseSensitive, value, got }).toEqual({ field, operator, caseSensitive, value, got: expected });
      }
    },
  );

  test("authentication-type matches the task's eID methods", async () => {
    const got = (await find(criteriaXml('authentication-type', 'nemid-sign'), '<to-index>1000</to-index>')).map((r) => r.id).sort();
    expect(got).toEqual(
      [...authType]
        .filter(([, m]) => m === 'nemid-sign')
        .map(([id]) => id)
        .sort(),
    );
  });

  test('several criteria combine with AND', async () => {
    const got = await find(criteriaXml('language', 'en') + criteriaXml('task-state', 'created'), '<to-index>1000</to-index>');
    expect(got.length).toBe(all.filter((r) => r.language === 'en' && r['task-status'] === 'created').length);
    expect(got.length).toBeGreaterThan(0);
    expect(await count(criteriaXml('language', 'en') + criteriaXml('task-state', 'created'))).toBe(got.length);
  });

  test('from-date and to-date bound the created time', async () => {
    const times = [...new Set(all.map((r) => r.created))].sort();
    const from = times[2]!;
    const to = times[5]!;
    const got = await find('', '<to-index>1000</to-index>', `<from-date>${from}</from-date><to-date>${to}</to-date>`);
    expect(got.map((r) => r.id).sort()).toEqual(
      all
        .filter((r) => r.created >= from && r.created <= to)
        .map((r) => r.id)
        .sort(),
    );
    expect(got.length).toBeGreaterThan(0);
  });

  test('paging: from-index inclusive, to-index exclusive, stable order', async () => {
    const sorted = await find(
      '',
      '<from-index>0</from-index><to-index>1000</to-index><sort-field>created</sort-field><ascending>true</ascending>',
    );
    const page = await find(
      '',
      '<from-index>3</from-index><to-index>7</to-index><sort-field>created</sort-field><ascending>true</ascending>',
    );
    expect(page.map((r) => r.id)).toEqual(sorted.slice(3, 7).map((r) => r.id));
    const beyond = await find('', '<from-index>100</from-index><to-index>110</to-index>');
    expect(beyond).toEqual([]);
  });

  test.each([['subject-last-name'], ['days-to-live'], ['created'], ['client-status']] as const)(
    'sorting by %s, both directions',
    async (field) => {
      const asc = await find('', `<to-index>1000</to-index><sort-field>${field}</sort-field><ascending>true</ascending>`);
      const desc = await find('', `<to-index>1000</to-index><sort-field>${field}</sort-field><ascending>false</ascending>`);
      const key = (r: Row) => r[field];
      const vals = asc.map(key).filter((v) => v !== undefined);
      const cmp =
        field === 'days-to-live' ? (a: string, b: string) => Number(a) - Number(b) : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      expect(vals).toEqual([...vals].sort(cmp));
      expect(desc.map(key).filter((v) => v !== undefined)).toEqual([...vals].reverse());
    },
  );

  test('bad filters are Client faults naming the element', async () => {
    const bad = async (inner: string) =>
      faultString((await post(s.endpoint, envelope(`<find-tasks-request xmlns="${NS}">${cred()}${inner}</find-tasks-request>`))).text);
    expect(await bad(`<filter>${criteriaXml('created', 'yesterday')}</filter>`)).toBe(
      'filter/criteria[0]/value: created needs an xs:dateTime value',
    );
    expect(await bad(`<filter>${criteriaXml('days-to-live', 'ten')}</filter>`)).toBe(
      'filter/criteria[0]/value: days-to-live needs a whole number',
    );
    expect(await bad(`<filter>${criteriaXml('colour', 'x')}</filter>`)).toMatch(
      /^filter\/criteria\[0\]\/field: "colour" is not a task-filter-field/,
    );
    expect(await bad(`<filter>${criteriaXml('language', 'x', 'like')}</filter>`)).toMatch(
      /^filter\/criteria\[0\]\/operator: "like" is not a logical-operator/,
    );
    expect(await bad('<filter/><from-index>5</from-index><to-index>2</to-index>')).toBe(
      'to-index: must be a whole number not below from-index',
    );
    expect(await bad('<filter/><from-index>0</from-index><to-index>5000</to-index>')).toMatch(/^to-index: a page holds at most 1000/);
  });
});
