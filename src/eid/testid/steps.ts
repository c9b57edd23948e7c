// The signer's eID steps in the portal, for the test eID (NemID-style): log in with user id,
// password and a key-card code (`nemid`); confirm the CPR number through PID-CPR when the task names
// a national-id; sign with password and a fresh key-card code (`nemid-sign`), after which the
// central key makes the native signature and the pipeline verifies, packages and seals it.
//
// This file only wires the steps; they are in steps/ (login.ts, cpr.ts, sign.ts, confirm.ts), what
// they share in steps/shared.ts (the step context: POST with CSRF, refusals) and steps/views.ts (the
// forms, alerts, failure texts and the sign page).
import type express from 'express';
import type { Ctx, Kit, PortalEidMethod } from '../../portal/kit';
import { TESTID_METHODS } from '../registry';
import { mountConfirm } from './steps/confirm';
import { mountCpr } from './steps/cpr';
import { loginForm, mountLogin } from './steps/login';
import { stepsFor, type EidDeps } from './steps/shared';
import { mountSign } from './steps/sign';
import { mountSessionSign } from './steps/session';

export type { EidDeps };

/** The test eID as the portal runs it: `nemid` (login) and `nemid-sign` (signing). */
export function testIdMethod(d: EidDeps): PortalEidMethod {
  return { methods: TESTID_METHODS, mount: (r, kit) => mountEid(r, kit, d) };
}

/** Registers the eID routes on `r`; returns the login form renderer the task page uses. */
function mountEid(r: express.Router, kit: Kit, d: EidDeps): { loginForm(c: Ctx, method: string): string } {
  const s = stepsFor(r, kit, d);
  mountLogin(s);
  mountCpr(s);
  mountSign(s);
  mountConfirm(s);
  mountSessionSign(s);
  return { loginForm: (c, method) => loginForm(kit, c, method) };
}
