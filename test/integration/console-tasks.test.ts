// The console's task search (src/console/tasks.ts) on each database: findTasks's filter from a form —
// criteria with operators and case, a date range, sorting either way, paging — scoped to the session's
// service; a filter core refuses is a 400 page naming the field and the rule.
import { consoleLogins, type ConsoleLogins } from '../support/console';
import { databases, startServer, type TestServer } from '../support/server';
import { createRequestXml } from '../support/soap';

describe.each(databases())('console task search (%s)', (db) => {
  let s: TestServer;
  let as: ConsoleLogins;
  const ids: string[] = [];
  const search = async (query: string, who: 'manager' | 'viewer' = 'viewer') => {
    const r = await fetch(`${s.url}/console/tasks?lang=en&${query}`, { headers: { cookie: as[who].cookie } });
    const text = await r.text();
    const rows = [...text.matchAll(/<tr><td><a href="\/console\/requests\/([^?]+)\?lang=en">[^<]*<\/a><\/td><td>([^<]*)<\/td>/g)].map(
      (m) => `${m[1]}/${m[2]}`,
    );
    return { status: r.status, text, rows };
  };
  const request = (service: string, password: string, last: string) =>
    createRequestXml(
      s.endpoint,
      service,
      password,
      `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>eA==</data><description>d</description></document>` +
        `<task id="t1"><subject><national-id>0101901234</national-id><first-name>Ann</first-name><last-name>${last}</last-name></subject>` +
        '<document-action type="sign"><document-ref>d</document-ref></document-action></task>',
    );

  beforeAll(async () => {
    s = await startServer(db);
    await s.rt.services.create('other', 'other-password-1');
    for (let i = 0; i < 27; i++) ids.push(await request('demo', s.demoPassword, i % 3 === 0 ? `Østergård ${i}` : `Berg ${i}`));
    await request('other', 'other-password-1', 'Østergård theirs');
    as = await consoleLogins(s);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('criteria with operator and case, only this service’s tasks, national ids masked', async () => {
    const r = await search('f0=subject-last-name&o0=contains&v0=STERG&i0=1');
    expect(r.status).toBe(200);
    expect(r.text).toContain('9 tasks found');
    expect(r.rows).toHaveLength(9);
    expect(r.text).not.toContain('theirs');
    expect(r.text).toContain('010190-****');
    expect(r.text).not.toContain('0101901234');
    // case-sensitive by default: the lower-case value finds nothing
    expect((await search('f0=subject-last-name&o0=contains&v0=STERG')).rows).toEqual([]);
    // two criteria together
    expect((await search('f0=subject-last-name&o0=contains&v0=Berg&f1=request-id&o1=equals&v1=' + ids[1])).rows).toEqual([`${ids[1]}/t1`]);
  });

  test('sorted either way and paged by 25', async () => {
    const asc = await search('sort=request-id&dir=asc');
    const desc = await search('sort=request-id&dir=desc');
    expect(asc.text).toContain('27 tasks found');
    expect(asc.rows).toHaveLength(25);
    expect(asc.rows).toEqual([...asc.rows].sort());
    expect(desc.rows[0]).toBe([...ids].sort().reverse()[0] + '/t1');
    const second = await search('sort=request-id&dir=asc&page=2');
    expect(second.rows).toHaveLength(2);
    expect(new Set([...asc.rows, ...second.rows]).size).toBe(27);
    expect(asc.text).toContain('rel="next"');
  });

  test('a date range of days', async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect((await search(`from=${today}&to=${today}`)).rows).toHaveLength(25);
    expect((await search('to=2000-01-01')).rows).toEqual([]);
  });

  test('a filter core refuses is a 400 page naming the field and the rule', async () => {
    const bad = await search('f0=created&o0=contains&v0=2026-01-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('filter/criteria[0]/operator: contains does not apply to created');
    const field = await search('f0=nonsense&v0=x');
    expect([field.status, /criteria\[0\]\/field: must be one of/.test(field.text)]).toEqual([400, true]);
    const sort = await search('sort=nonsense');
    expect([sort.status, sort.text.includes('sort-field: must be one of')]).toEqual([400, true]);
  });
});
