// The portal's auto-escaping template (src/portal/html.ts): interpolated values are text unless they are markup.
import { html, join, raw, Html } from '../../src/portal/html';

describe('html`` template', () => {
  test('text is escaped in element content', () => {
    expect(html`<p>${'<script>alert("x") & \'y\'</script>'}</p>`.value).toBe(
      '<p>&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;</p>',
    );
  });

  test('attribute values cannot break out of their quotes', () => {
    const evil = '" onmouseover="alert(1)';
    expect(html`<a href="${evil}" title='${"x' onclick='y"}'>k</a>`.value).toBe(
      '<a href="&quot; onmouseover=&quot;alert(1)" title=\'x&#39; onclick=&#39;y\'>k</a>',
    );
  });

  test('numbers are text; null, undefined and false give nothing', () => {
    expect(html`${3}|${null}|${undefined}|${false}|${0}`.value).toBe('3||||0');
  });

  test('nested templates are inserted as they are, their own values escaped once', () => {
    const inner = html`<b>${'a&b'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a&amp;b</b></p>');
    expect(html`<div>${html`<p>${inner}</p>`}</div>`.value).toBe('<div><p><b>a&amp;b</b></p></div>');
  });

  test('arrays are joined; strings in them escaped, Html kept', () => {
    expect(html`<ul>${['<x>', html`<li>${'y'}</li>`]}</ul>`.value).toBe('<ul>&lt;x&gt;<li>y</li></ul>');
    expect(html`<ul>${['a', 'b'].map((s) => html`<li>${s}</li>`)}</ul>`.value).toBe('<ul><li>a</li><li>b</li></ul>');
  });

  test('join: items and separator, each escaped unless Html', () => {
    expect(join(['<a>', html`<br>`, 'c'], ', ').value).toBe('&lt;a&gt;, <br>, c');
    expect(join(['a', 'b'], html`<hr>`).value).toBe('a<hr>b');
    expect(join([]).value).toBe('');
  });

  test('raw() inserts trusted markup as it is', () => {
    expect(html`<main>${raw('<p>&nbsp;</p>')}</main>`.value).toBe('<main><p>&nbsp;</p></main>');
    expect(raw('<i>')).toBeInstanceOf(Html);
    expect(String(html`<i>${'&'}</i>`)).toBe('<i>&amp;</i>');
  });
});
