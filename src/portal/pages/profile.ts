// A graphical profile's colours (a stylesheet of its own: the CSP allows no inline styles) and logo,
// the files the look of a task's pages (see task.ts) links to.
import type express from 'express';
import type { ProfileRepository } from '../../store/profiles';
import type { ServiceRepository } from '../../store/services';
import { profileCss } from '../layout';

export function mountProfiles(r: express.Router, d: { services: ServiceRepository; profiles?: ProfileRepository }): void {
  const profileOf = async (service: string, name: string) => {
    const svc = await d.services.find(service);
    return svc && d.profiles ? d.profiles.get(svc.id, name) : null;
  };
  r.get('/portal/profile/:service/:name.css', async (req, res, next) => {
    try {
      const p = await profileOf(String(req.params.service), String(req.params.name));
      if (!p) {
        res.status(404).type('text/plain').send('no such profile\n');
        return;
      }
      res.set({ 'cache-control': 'public, max-age=60', 'x-content-type-options': 'nosniff' }).type('text/css').send(profileCss(p));
    } catch (e) {
      next(e);
    }
  });
  r.get('/portal/profile/:service/:name/logo', async (req, res, next) => {
    try {
      const p = await profileOf(String(req.params.service), String(req.params.name));
      if (!p?.logo) {
        res.status(404).type('text/plain').send('no logo\n');
        return;
      }
      res
        .set({
          'cache-control': 'public, max-age=60',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        })
        .type(p.logo.mimeType)
        .send(Buffer.from(p.logo.base64, 'base64'));
    } catch (e) {
      next(e);
    }
  });
}
