// escapeXml / escapeXmlAttribute read back by libxml2 (xmllint), an outside parser: an attribute value
// keeps its line breaks and tabs only when they are written as character references (XML 1.0 §3.3.3).
import { execFileSync } from 'node:child_process';
import { escapeXml, escapeXmlAttribute } from '../../src/util/escape';

const attributeAsParsed = (escaped: string): string =>
  execFileSync('xmllint', ['--xpath', 'string(/x/@v)', '-'], { input: `<x v="${escaped}"/>` })
    .toString('utf8')
    .replace(/\n$/, ''); // xmllint ends its answer with a line break
const textAsParsed = (escaped: string): string =>
  execFileSync('xmllint', ['--xpath', 'string(/x)', '-'], { input: `<x>${escaped}</x>` })
    .toString('utf8')
    .replace(/\n$/, ''); // xmllint ends its answer with a line break

const VALUE = 'Første linje\nanden\tlinje\r\n<&>"\'';

test('an attribute value escaped for attributes survives a parser unchanged', () => {
  expect(attributeAsParsed(escapeXmlAttribute(VALUE))).toBe(VALUE);
});

test('escaped as text only, a parser turns its line breaks and tab into spaces (why attributes need their own escape)', () => {
  expect(attributeAsParsed(escapeXml(VALUE))).toBe('Første linje anden linje\r <&>"\'');
});

test('element text keeps line breaks with either escape', () => {
  expect(textAsParsed(escapeXml(VALUE))).toBe(VALUE);
  expect(textAsParsed(escapeXmlAttribute(VALUE))).toBe(VALUE);
});
