// A browser-like HTTP client for the signer portal: keeps the session cookie, follows nothing by
// itself (tests look at each answer), and reads the CSRF token from the last page.

export const SESSION = 'segl_portal';

export class PortalClient {
  cookie = '';
  /** every Set-Cookie value of the session cookie seen, in order */
  readonly cookies: string[] = [];
  csrf = '';

  constructor(readonly base: string) {}

  private take(r: Response): void {
    const set = r.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`));
    if (set) {
      this.cookies.push(set);
      this.cookie = set.split(';')[0]!;
    }
  }

  private async page(r: Response): Promise<{ status: number; text: string; location: string | null; res: Response }> {
    this.take(r);
    const text = r.status === 303 || r.status === 302 ? '' : await r.text();
    const token = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: r.status, text, location: r.headers.get('location'), res: r };
  }

  async get(path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
    return this.page(
      await fetch(`${this.base}${path}`, {
        method: init.method ?? 'GET',
        redirect: 'manual',
        headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...init.headers },
      }),
    );
  }

  /** A form POST; `csrf` is added unless the form has one. */
  async post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ csrf: this.csrf, ...form })) for (const x of ([] as string[]).concat(v)) body.append(k, x);
    return this.raw(path, body.toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** A POST of exactly these bytes and headers (with the session cookie). */
  async raw(path: string, body: string | Buffer, headers: Record<string, string>) {
    return this.page(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        body,
        headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      }),
    );
  }
}

/** The text a page shows in its <main> (tags dropped, entities of the layout decoded), for assertions. */
export function mainText(html: string): string {
  const main = /<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? html;
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
