// What the Chromium tests of the signer's pages share: the unused key-card code a page asks for, the
// key number it names, and the page check (axe-core, the 360 px fit, a screenshot).
import type { Page } from 'playwright-core';
import { axeViolations } from './chromium';
import type { TestServer } from './server';

/** The unused code for key `keyNumber` on `alias`'s key cards. */
export async function unusedCode(s: TestServer, alias: string, keyNumber: string): Promise<string> {
  for (const card of await s.rt.testid!.keyCards(alias)) {
    const hit = card.codes.find((c) => c.keyNumber === keyNumber && !c.used);
    if (hit) return hit.code;
  }
  throw new Error(`no unused code ${keyNumber}`);
}

/** The key number the page asks for. */
export const keyNumberOn = async (p: Page): Promise<string> => /key number (\d+)/.exec(await p.locator('main').innerText())![1]!;

/** axe, the 360 px fit and a screenshot (to `file`) of the page as it is. */
export async function checkPage(p: Page, name: string, file: string): Promise<void> {
  expect([name, await axeViolations(p)]).toEqual([name, []]);
  await p.setViewportSize({ width: 360, height: 740 });
  expect([name, await p.evaluate<boolean>('document.documentElement.scrollWidth <= 360')]).toEqual([name, true]);
  await p.screenshot({ path: file, fullPage: true });
  await p.setViewportSize({ width: 1024, height: 768 });
}

/** On a task's login page: the test eID login of `u` (user id, password, key-card code, the CPR when asked). */
export async function testIdLogin(s: TestServer, p: Page, u: { alias: string; password: string; cpr: string }): Promise<void> {
  await p.getByLabel('User ID (alias, CPR or PID)').fill(u.alias);
  await p.getByLabel('Password').fill(u.password);
  await p.getByRole('button', { name: 'Next' }).click();
  const n = await keyNumberOn(p);
  await p.getByLabel(`Code for key ${n}`).fill(await unusedCode(s, u.alias, n));
  await p.getByRole('button', { name: 'Next' }).click();
  if ((await p.locator('h1').innerText()) === 'Confirm your CPR number') {
    await p.getByLabel('CPR number (DDMMYY-SSSS)').fill(`${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}`);
    await p.getByRole('button', { name: 'Next' }).click();
  }
}
