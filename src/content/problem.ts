// Why an upload's content was refused: one code per kind of fault and a message a person can read.

export type ContentProblemCode =
  'unsupported-type' | 'not-pdf' | 'truncated' | 'corrupt' | 'encrypted' | 'bad-text' | 'unsupported-charset' | 'bad-xml';

/** Why an upload's content was refused. `offset` is the byte position of the fault when known. */
export interface ContentProblem {
  code: ContentProblemCode;
  message: string;
  offset?: number;
}

export const problem = (code: ContentProblemCode, message: string, offset?: number): ContentProblem =>
  offset === undefined ? { code, message } : { code, message, offset };
