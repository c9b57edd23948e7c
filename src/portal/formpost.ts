// A task page's form POST as every eID method's step takes it: the body parsed (bounded), the task
// resolved, the session's CSRF token checked (else the refusal page, nothing done), then the step.
import express from 'express';
import type { Ctx, Kit } from './kit';

export type FormStep = (c: Ctx, body: Record<string, unknown>, req: express.Request, res: express.Response) => Promise<void>;

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 });

/** Mounts `step` at POST `path` (a task page path: `/std/docaction/:service/…`). */
export function formPost(r: express.Router, kit: Kit, path: string, step: FormStep): void {
  r.post(
    path,
    form,
    kit.guard(async (req, res) => {
      const c = await kit.resolve(req, res, kit.ids(req));
      if (!c) return;
      // (no body, or not a form: nothing was parsed, and the CSRF check refuses it)
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!kit.csrfOk(c, body)) {
        const m = kit.csrfRefused(c);
        kit.send(res, 403, c, m.title, m.main);
        return;
      }
      await step(c, body, req, res);
    }),
  );
}
