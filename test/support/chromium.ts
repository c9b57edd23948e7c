// Headless Chromium (the system's /usr/bin/chromium through playwright-core) for the e2e tests.
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-quic',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** `f` in a page of a fresh browser context (no cookies), closed after. */
export async function inNewContext(browser: Browser, f: (p: Page) => Promise<void>): Promise<void> {
  const ctx = await browser.newContext();
  try {
    await f(await ctx.newPage());
  } finally {
    await ctx.close();
  }
}

const AXE_SOURCE = () => readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The ids of the axe-core rules the page violates (axe injected into the page first). */
export async function axeViolations(p: Page): Promise<string[]> {
  await p.evaluate(AXE_SOURCE());
  return p.evaluate<string[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))");
}
