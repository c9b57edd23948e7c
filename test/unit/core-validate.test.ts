// Unit tests of src/core/validate.ts: one rejected and one accepted case for every rule.
import { ValidationError } from '../../src/core/errors';
import type { Document, DocumentAction, Notification, PackagingTask, ProvidedDocument, SigningRequest, Task } from '../../src/core/types';
import {
  idList,
  LIMITS,
  normalizeRequest,
  validateAddedTask,
  validateNotification,
  validateRequest,
  validateRequests,
  type ValidationContext,
} from '../../src/core/validate';
import { violationsOf } from '../support/violations';

const ctx: ValidationContext = {
  authenticationMethods: new Set(['nemid']),
  signatureMethods: new Set(['nemid-sign']),
};
const emptyCtx: ValidationContext = { authenticationMethods: new Set(), signatureMethods: new Set() };

function provided(id: string | undefined, extra: Partial<ProvidedDocument> = {}): ProvidedDocument {
  return {
    kind: 'provided-document',
    id,
    mimeType: 'text/plain',
    description: `Document ${id ?? 'inline'}`,
    data: new Uint8Array([104, 105]),
    ...extra,
  };
}

/** subject s1, provided-document d1 (text/plain), t1 signs d1 with nemid, t2 views d1 after t1. */
function validRequest(): SigningRequest {
  return {
    subject: [{ id: 's1', firstName: 'Ada', lastName: 'Lovelace', nationalId: '0101011234' }],
    document: [provided('d1')],
    task: [
      { id: 't1', subjectRef: 's1', documentAction: [{ type: 'sign', documentRef: 'd1' }], authentication: { method: ['nemid'] } },
      { id: 't2', documentAction: [{ type: 'view', documentRef: 'd1' }], dependsOnTask: ['t1'] },
    ],
  };
}

function notification(id = 'n1', extra: Partial<Notification> = {}): Notification {
  return {
    type: 'EMAIL',
    notificationId: id,
    recipient: 'ada@example.com',
    message: 'Please sign: ${taskUrl}',
    schedule: [{ stateIs: 'created' }],
    ...extra,
  };
}

function packaging(extra: Partial<PackagingTask> = {}): PackagingTask {
  return { packagingTaskId: 'p1', method: 'pades', packagingTaskDocument: [{ taskId: 't1', documentId: 'd1' }], ...extra };
}

/** Lets a test break a typed field (remove it or give it a wrong type). */
function loose(o: object): Record<string, unknown> {
  return o as Record<string, unknown>;
}

type Expected = [path: string, rule: string];

/** The violations are exactly these, in this order; each rule contains the given substring. */
function expectExactly(fn: () => unknown, ...expected: Expected[]): void {
  const got = violationsOf(fn);
  expect(got.map((v) => v.path)).toEqual(expected.map(([p]) => p));
  expected.forEach(([, rule], i) => expect(got[i]!.rule).toContain(rule));
}

/** The violations include this one. */
function expectIncludes(fn: () => unknown, path: string, rule: string): void {
  expect(violationsOf(fn)).toContainEqual({ path, rule: expect.stringContaining(rule) });
}

function check(mutate: (r: SigningRequest) => void, c: ValidationContext = ctx): () => void {
  const r = validRequest();
  mutate(r);
  return () => validateRequest(r, c);
}

function accepts(mutate: (r: SigningRequest) => void, c: ValidationContext = ctx): void {
  expect(check(mutate, c)).not.toThrow();
}

const t = (r: SigningRequest, i: number): Task => r.task[i]!;
const act = (r: SigningRequest, ti: number, ai = 0): DocumentAction => r.task[ti]!.documentAction[ai]!;
const doc = (r: SigningRequest, i: number): Document => r.document![i]!;

describe('the valid factory request', () => {
  test('is accepted, also inside validateRequests', () => {
    expect(() => validateRequest(validRequest(), ctx)).not.toThrow();
    expect(() => validateRequests([validRequest(), validRequest()], ctx)).not.toThrow();
  });

  test('the ValidationError message lists path: rule pairs', () => {
    const r = validRequest();
    r.sdoFormat = 'xades';
    let thrown: unknown;
    try {
      validateRequest(r, ctx);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).message).toBe('request/sdo-format: only "native" is supported');
    expect((thrown as ValidationError).name).toBe('ValidationError');
  });

  test('the path argument prefixes every violation', () => {
    const r = validRequest();
    r.sdoFormat = 'xades';
    expectExactly(() => validateRequest(r, ctx, 'request[3]'), ['request[3]/sdo-format', 'only "native" is supported']);
  });
});

describe('tasks', () => {
  test('at least one task is required', () => {
    expectExactly(
      check((r) => {
        r.task = [];
      }),
      ['request/task', 'at least one is required'],
    );
    expectExactly(
      check((r) => {
        delete loose(r).task;
      }),
      ['request/task', 'at least one is required'],
    );
  });

  test('task ids are unique', () => {
    expectExactly(
      check((r) => {
        t(r, 1).id = 't1';
        t(r, 1).dependsOnTask = [];
      }),
      ['request/task[1]/@id', 'task id "t1" is used twice (first at request/task[0]/@id)'],
    );
    accepts((r) => {
      t(r, 1).id = 't1b';
      t(r, 1).dependsOnTask = [];
    });
  });

  test('task id is required and at most 128 characters', () => {
    expectExactly(
      check((r) => {
        t(r, 1).id = '';
      }),
      ['request/task[1]/@id', 'is required'],
    );
    expectExactly(
      check((r) => {
        t(r, 1).id = 'x'.repeat(129);
      }),
      ['request/task[1]/@id', 'must be at most 128 characters'],
    );
    accepts((r) => {
      t(r, 1).id = 'x'.repeat(128);
    });
  });

  test('at most 100 tasks', () => {
    const many = (n: number) => (r: SigningRequest) => {
      r.task = Array.from({ length: n }, (_, i): Task => ({ id: `t${i + 1}`, documentAction: [{ type: 'view', documentRef: 'd1' }] }));
    };
    expectExactly(check(many(101)), ['request/task', 'at most 100 are allowed (got 101)']);
    accepts(many(100));
  });

  test('days-to-live is a whole number from 1 to 3650', () => {
    for (const bad of [0, -1, 3651, 2.5]) {
      expectExactly(
        check((r) => {
          t(r, 0).daysToLive = bad;
        }),
        ['request/task[0]/days-to-live', 'must be a whole number of days from 1 to 3650'],
      );
    }
    accepts((r) => {
      t(r, 0).daysToLive = 1;
      t(r, 1).daysToLive = 3650;
    });
  });

  test('at least one and at most 100 document-actions', () => {
    expectExactly(
      check((r) => {
        t(r, 1).documentAction = [];
      }),
      ['request/task[1]/document-action', 'at least one is required'],
    );
    const inline = (n: number) => (r: SigningRequest) => {
      t(r, 1).documentAction = Array.from({ length: n }, (): DocumentAction => ({ type: 'view', document: provided(undefined) }));
    };
    expectExactly(check(inline(101)), ['request/task[1]/document-action', 'at most 100 are allowed (got 101)']);
    accepts(inline(100));
  });
});

describe('subjects', () => {
  test('subject ids are unique', () => {
    expectExactly(
      check((r) => {
        r.subject!.push({ id: 's1', firstName: 'Bob' });
      }),
      ['request/subject[1]/@id', 'subject id "s1" is used twice (first at request/subject[0]/@id)'],
    );
    accepts((r) => {
      r.subject!.push({ id: 's2', firstName: 'Bob' });
    });
  });

  test('a request-level subject needs an id of at most 128 characters; an inline subject does not', () => {
    expectExactly(
      check((r) => {
        delete r.subject![0]!.id;
        t(r, 0).subjectRef = undefined;
      }),
      ['request/subject[0]/@id', 'is required'],
    );
    const long = 's'.repeat(129);
    expectExactly(
      check((r) => {
        r.subject![0]!.id = long;
        t(r, 0).subjectRef = long;
      }),
      ['request/subject[0]/@id', 'must be at most 128 characters'],
    );
    accepts((r) => {
      r.subject![0]!.id = 's'.repeat(128);
      t(r, 0).subjectRef = 's'.repeat(128);
    });
    accepts((r) => {
      t(r, 1).subject = { firstName: 'Inline' };
    });
  });

  test('at most 100 subjects', () => {
    const many = (n: number) => (r: SigningRequest) => {
      r.subject = Array.from({ length: n }, (_, i) => ({ id: i === 0 ? 's1' : `s${i + 1}` }));
    };
    expectExactly(check(many(101)), ['request/subject', 'at most 100 are allowed (got 101)']);
    accepts(many(100));
  });

  test('subject-ref must resolve', () => {
    expectExactly(
      check((r) => {
        t(r, 0).subjectRef = 's9';
      }),
      ['request/task[0]/subject-ref', '"s9" does not match any request/subject/@id'],
    );
  });

  test('subject-ref and subject are not both given', () => {
    expectExactly(
      check((r) => {
        t(r, 0).subject = { firstName: 'Ada' };
      }),
      ['request/task[0]', 'give either subject-ref or subject, not both'],
    );
    accepts((r) => {
      t(r, 0).subjectRef = undefined;
      t(r, 0).subject = { firstName: 'Ada' };
    });
  });
});

describe('documents', () => {
  test('request document ids are unique', () => {
    expectExactly(
      check((r) => {
        r.document!.push(provided('d1'));
      }),
      ['request/document[1]/@id', 'document id "d1" is used twice (first at request/document[0]/@id)'],
    );
    accepts((r) => {
      r.document!.push(provided('d2'));
    });
  });

  test('inline action documents share the id space with request documents', () => {
    expectExactly(
      check((r) => {
        t(r, 1).documentAction = [{ type: 'view', document: provided('d1') }];
      }),
      ['request/task[1]/document-action[0]/document/@id', 'document id "d1" is used twice (first at request/document[0]/@id)'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).documentAction.push({ type: 'view', document: provided('x1') });
        t(r, 1).documentAction = [{ type: 'view', document: provided('x1') }];
      }),
      [
        'request/task[1]/document-action[0]/document/@id',
        'document id "x1" is used twice (first at request/task[0]/document-action[1]/document/@id)',
      ],
    );
    accepts((r) => {
      t(r, 1).documentAction = [{ type: 'view', document: provided('x2') }];
    });
  });

  test('a task uses each document once', () => {
    expectExactly(
      check((r) => {
        t(r, 0).documentAction.push({ type: 'view', documentRef: 'd1' });
      }),
      ['request/task[0]/document-action[1]', 'document "d1" is used twice (first at request/task[0]/document-action[0])'],
    );
  });

  test('a request document needs an id', () => {
    expectExactly(
      check((r) => {
        r.document!.push(provided(undefined));
      }),
      ['request/document[1]/@id', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.document!.push(provided('d'.repeat(129)));
      }),
      ['request/document[1]/@id', 'must be at most 128 characters'],
    );
  });

  test('at most 100 documents', () => {
    const many = (n: number) => (r: SigningRequest) => {
      r.document = Array.from({ length: n }, (_, i) => provided(`d${i + 1}`));
    };
    expectExactly(check(many(101)), ['request/document', 'at most 100 are allowed (got 101)']);
    accepts(many(100));
  });

  test('document kind (xsi:type) is required and known', () => {
    expectExactly(
      check((r) => {
        delete loose(doc(r, 0)).kind;
      }),
      ['request/document[0]/@xsi:type', 'is required'],
    );
    expectExactly(
      check((r) => {
        loose(doc(r, 0)).kind = 'pdf-document';
      }),
      [
        'request/document[0]/@xsi:type',
        'must be one of sds-document, provided-document, upload-document, archive-document, result-document, packaging-result-document',
      ],
    );
  });

  test('sds-document needs ref-sds-id and description', () => {
    const sds = { kind: 'sds-document', id: 'd2', refSdsId: '01012024abc', description: 'From SDS' } as const;
    accepts((r) => {
      r.document!.push({ ...sds });
    });
    expectExactly(
      check((r) => {
        r.document!.push({ ...sds, refSdsId: '' });
      }),
      ['request/document[1]/@ref-sds-id', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.document!.push({ ...sds, refSdsId: 'z'.repeat(129) });
      }),
      ['request/document[1]/@ref-sds-id', 'must be at most 128 characters'],
    );
    expectExactly(
      check((r) => {
        r.document!.push({ ...sds, description: ' ' });
      }),
      ['request/document[1]/description', 'is required'],
    );
  });

  test('provided-document needs a well-formed mime-type and a description', () => {
    expectExactly(
      check((r) => {
        delete loose(doc(r, 0)).mimeType;
      }),
      ['request/document[0]/@mime-type', 'is required'],
    );
    for (const bad of [
      'textplain',
      'text/',
      'text/plain/x',
      '/plain',
      'text/plain; name="\u0100"',
      'text/plain; a=b c',
      'text/plain\r\nX-Evil: 1',
    ]) {
      expectExactly(
        check((r) => {
          (doc(r, 0) as ProvidedDocument).mimeType = bad;
        }),
        ['request/document[0]/@mime-type', 'is not a media type (RFC 9110'],
      );
    }
    accepts((r) => {
      (doc(r, 0) as ProvidedDocument).mimeType = 'application/pdf';
    });
    accepts((r) => {
      (doc(r, 0) as ProvidedDocument).mimeType = 'text/plain; charset=utf-8';
    });
    accepts((r) => {
      (doc(r, 0) as ProvidedDocument).mimeType = 'Text/XML; Charset="ISO-8859-1"';
    });
    expectExactly(
      check((r) => {
        delete loose(doc(r, 0)).description;
      }),
      ['request/document[0]/description', 'is required'],
    );
  });

  test('provided-document: only the types SDS stores; active content and unknown charsets are refused', () => {
    for (const active of [
      'text/html',
      'application/xhtml+xml',
      'image/svg+xml',
      'text/javascript',
      'application/octet-stream',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ]) {
      expectExactly(
        check((r) => {
          (doc(r, 0) as ProvidedDocument).mimeType = `${active}; charset=utf-8`;
        }),
        ['request/document[0]/@mime-type', `"${active}" is not accepted; use one of application/pdf, application/x-pades, text/plain`],
      );
    }
    expectExactly(
      check((r) => {
        (doc(r, 0) as ProvidedDocument).mimeType = 'text/plain; charset=ebcdic';
      }),
      ['request/document[0]/@mime-type', 'the charset "ebcdic" is not supported'],
    );
    expectExactly(
      check((r) => {
        (doc(r, 0) as ProvidedDocument).mimeType = 'application/pdf; charset=utf-8';
      }),
      ['request/document[0]/@mime-type', 'a charset parameter is not allowed on application/pdf'],
    );
  });

  test('id lists of one call: at most 1000, no over-long id, repeats collapse in order', () => {
    expect(idList(['b', 'a', 'b', 'c', 'a'], 'request-id')).toEqual(['b', 'a', 'c']);
    expect(
      idList(
        Array.from({ length: LIMITS.idsPerCall }, (_, i) => `r${i % 7}`),
        'request-id',
      ),
    ).toHaveLength(7);
    expectExactly(
      () =>
        idList(
          Array.from({ length: LIMITS.idsPerCall + 1 }, () => 'x'),
          'request-id',
        ),
      ['request-id', `at most ${LIMITS.idsPerCall} per call (got ${LIMITS.idsPerCall + 1})`],
    );
    expectExactly(() => idList(['ok', 'z'.repeat(129)], 'archive-id'), ['archive-id[1]', 'must be at most 128 characters']);
  });

  test('upload-document needs a description', () => {
    accepts((r) => {
      r.document!.push({ kind: 'upload-document', id: 'u1', description: 'Upload your ID' });
    });
    expectExactly(
      check((r) => {
        r.document!.push({ kind: 'upload-document', id: 'u1', description: '' });
      }),
      ['request/document[1]/description', 'is required'],
    );
  });

  test('archive-document needs ref-archive-id', () => {
    accepts((r) => {
      r.document!.push({ kind: 'archive-document', id: 'a1', refArchiveId: '01012024archived' });
    });
    expectExactly(
      check((r) => {
        r.document!.push({ kind: 'archive-document', id: 'a1', refArchiveId: '' });
      }),
      ['request/document[1]/@ref-archive-id', 'is required'],
    );
  });

  test('result-document needs ref-task-id and ref-document-id', () => {
    expectExactly(
      check((r) => {
        r.document!.push({ kind: 'result-document', id: 'r1', refTaskId: '', refDocumentId: '' });
      }),
      ['request/document[1]/@ref-task-id', 'is required'],
      ['request/document[1]/@ref-document-id', 'is required'],
    );
    accepts((r) => {
      r.document!.push({ kind: 'result-document', id: 'r1', refTaskId: 't1', refDocumentId: 'd1' });
    });
  });

  test('packaging-result-document needs ref-packaging-task-id', () => {
    expectExactly(
      check((r) => {
        r.document!.push({ kind: 'packaging-result-document', id: 'pr1', refPackagingTaskId: '' });
      }),
      ['request/document[1]/@ref-packaging-task-id', 'is required'],
    );
  });

  test('form needs an id, and each input-param a name and value', () => {
    accepts((r) => {
      doc(r, 0).form = { id: 'f1', inputParam: [{ name: 'amount', value: '100' }] };
    });
    expectExactly(
      check((r) => {
        doc(r, 0).form = { id: '', inputParam: [{ name: '', value: '' }] };
      }),
      ['request/document[0]/form/@id', 'is required'],
      ['request/document[0]/form/input-param[0]/@name', 'is required'],
      ['request/document[0]/form/input-param[0]/@value', 'is required'],
    );
  });

  test('inline documents get the kind checks too', () => {
    expectExactly(
      check((r) => {
        t(r, 1).documentAction = [{ type: 'view', document: provided('x1', { mimeType: 'nope' }) }];
      }),
      ['request/task[1]/document-action[0]/document/@mime-type', 'is not a media type'],
    );
  });
});

describe('document-actions', () => {
  test('type is required and one of sign, view, upload', () => {
    expectExactly(
      check((r) => {
        delete loose(act(r, 0)).type;
      }),
      ['request/task[0]/document-action[0]/@type', 'is required'],
    );
    expectExactly(
      check((r) => {
        loose(act(r, 0)).type = 'approve';
      }),
      ['request/task[0]/document-action[0]/@type', 'must be one of sign, view, upload'],
    );
  });

  test('order-index is a whole number of 0 or more', () => {
    for (const bad of [-1, 1.5]) {
      expectExactly(
        check((r) => {
          act(r, 0).orderIndex = bad;
        }),
        ['request/task[0]/document-action[0]/@order-index', 'must be a whole number of 0 or more'],
      );
    }
    accepts((r) => {
      act(r, 0).orderIndex = 0;
      act(r, 1).orderIndex = 7;
    });
  });

  test('document-ref must resolve', () => {
    expectExactly(
      check((r) => {
        act(r, 1).documentRef = 'd9';
      }),
      ['request/task[1]/document-action[0]/document-ref', '"d9" does not match any request/document/@id'],
    );
  });

  test('document-ref and document are not both given', () => {
    expectExactly(
      check((r) => {
        act(r, 1).document = provided('x1');
      }),
      ['request/task[1]/document-action[0]', 'give either document-ref or document, not both'],
    );
  });

  test('an action needs a document-ref or an inline document', () => {
    expectExactly(
      check((r) => {
        delete act(r, 1).documentRef;
      }),
      ['request/task[1]/document-action[0]/document-ref', 'is required: a view action needs a document-ref or an inline document'],
    );
    expectExactly(
      check((r) => {
        act(r, 1).documentRef = '  ';
      }),
      ['request/task[1]/document-action[0]/document-ref', 'is required'],
    );
    accepts((r) => {
      delete act(r, 1).documentRef;
      act(r, 1).document = provided('x1');
    });
  });

  test('an upload action needs an upload-document', () => {
    expectExactly(
      check((r) => {
        act(r, 1).type = 'upload';
      }),
      ['request/task[1]/document-action[0]', 'an upload action needs an upload-document (document "d1" is provided-document)'],
    );
    accepts((r) => {
      r.document!.push({ kind: 'upload-document', id: 'u1', description: 'Your passport' });
      t(r, 1).documentAction = [{ type: 'upload', documentRef: 'u1' }];
    });
  });

  test('an upload-document is only for upload actions', () => {
    for (const type of ['sign', 'view'] as const) {
      expectExactly(
        check((r) => {
          r.document!.push({ kind: 'upload-document', id: 'u1', description: 'Your passport' });
          t(r, 1).documentAction = [{ type, documentRef: 'u1' }];
        }),
        ['request/task[1]/document-action[0]', `a ${type} action cannot use upload-document "u1" (only upload actions can)`],
      );
    }
  });

  test('dialog title is at most 500 characters', () => {
    expectExactly(
      check((r) => {
        act(r, 0).dialog = { title: 'x'.repeat(501) };
      }),
      ['request/task[0]/document-action[0]/dialog/title', 'must be at most 500 characters'],
    );
    accepts((r) => {
      act(r, 0).dialog = { title: 'x'.repeat(500), message: 'y'.repeat(10_000) };
    });
  });
});

describe('depends-on-task', () => {
  test('must resolve', () => {
    expectExactly(
      check((r) => {
        t(r, 1).dependsOnTask = ['t9'];
      }),
      ['request/task[1]/depends-on-task[0]', '"t9" does not match any task/@id in this request'],
    );
  });

  test('a task cannot depend on itself (also reported as a cycle)', () => {
    expectExactly(
      check((r) => {
        t(r, 1).dependsOnTask = ['t2'];
      }),
      ['request/task[1]/depends-on-task[0]', 'task "t2" cannot depend on itself'],
      ['request/task', 'depends-on-task forms a cycle: t2 → t2'],
    );
  });

  test('no duplicates', () => {
    expectExactly(
      check((r) => {
        t(r, 1).dependsOnTask = ['t1', 't1'];
      }),
      ['request/task[1]/depends-on-task[1]', 'depends-on-task "t1" is used twice (first at request/task[1]/depends-on-task[0])'],
    );
  });

  test('a cycle of 2 is rejected with its path', () => {
    const got = violationsOf(
      check((r) => {
        t(r, 0).dependsOnTask = ['t2'];
      }),
    );
    expect(got).toEqual([{ path: 'request/task', rule: 'depends-on-task forms a cycle: t1 → t2 → t1' }]);
  });

  test('a cycle of 3 is rejected with its path', () => {
    const got = violationsOf(
      check((r) => {
        r.task.push({ id: 't3', documentAction: [{ type: 'view', documentRef: 'd1' }], dependsOnTask: ['t2'] });
        t(r, 0).dependsOnTask = ['t3'];
      }),
    );
    expect(got).toEqual([{ path: 'request/task', rule: 'depends-on-task forms a cycle: t1 → t3 → t2 → t1' }]);
  });

  test('a diamond is not a cycle', () => {
    accepts((r) => {
      r.task.push({ id: 't3', documentAction: [{ type: 'view', documentRef: 'd1' }], dependsOnTask: ['t1'] });
      r.task.push({ id: 't4', documentAction: [{ type: 'view', documentRef: 'd1' }], dependsOnTask: ['t2', 't3'] });
    });
  });
});

describe('result-document and packaging references', () => {
  const resultAction = (refTaskId: string, refDocumentId: string): DocumentAction => ({
    type: 'view',
    document: { kind: 'result-document', id: 'r1', refTaskId, refDocumentId },
  });

  test('accepted when the task depends on the referenced task, which signs the document', () => {
    accepts((r) => {
      t(r, 1).documentAction = [resultAction('t1', 'd1')];
    });
    accepts((r) => {
      r.document!.push({ kind: 'result-document', id: 'r1', refTaskId: 't1', refDocumentId: 'd1' });
      t(r, 1).documentAction = [{ type: 'sign', documentRef: 'r1' }];
    });
  });

  test('transitive dependency is enough', () => {
    accepts((r) => {
      r.task.push({ id: 't3', documentAction: [resultAction('t1', 'd1')], dependsOnTask: ['t2'] });
    });
  });

  test('the task must depend on the referenced task', () => {
    expectExactly(
      check((r) => {
        t(r, 1).documentAction = [resultAction('t1', 'd1')];
        t(r, 1).dependsOnTask = [];
      }),
      ['request/task[1]/document-action[0]', 'result-document refers to task "t1"; task "t2" must depend on it (depends-on-task)'],
    );
  });

  test('the referenced task must exist', () => {
    expectExactly(
      check((r) => {
        t(r, 1).documentAction = [resultAction('t9', 'd1')];
      }),
      ['request/task[1]/document-action[0]', 'result-document refers to task "t9", which is not in this request'],
    );
  });

  test('the referenced task must sign (not just view) the document', () => {
    expectExactly(
      check((r) => {
        r.document!.push(provided('d2'));
        t(r, 0).documentAction.push({ type: 'view', documentRef: 'd2' });
        t(r, 1).documentAction = [resultAction('t1', 'd2')];
      }),
      ['request/task[1]/document-action[0]', 'result-document refers to document "d2", which task "t1" does not sign'],
    );
  });

  test('packaging-result-document must name a packaging task of the request', () => {
    const pra = (id: string): DocumentAction => ({
      type: 'view',
      document: { kind: 'packaging-result-document', id: 'pr1', refPackagingTaskId: id },
    });
    accepts((r) => {
      r.packagingTask = [packaging()];
      t(r, 1).documentAction = [pra('p1')];
    });
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging()];
        t(r, 1).documentAction = [pra('p9')];
      }),
      ['request/task[1]/document-action[0]', 'packaging-result-document refers to packaging task "p9", which is not in this request'],
    );
  });

  test('packaging-task-document must name a task that signs the document', () => {
    accepts((r) => {
      r.packagingTask = [packaging()];
    });
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingTaskDocument: [{ taskId: 't9', documentId: 'd1' }] })];
      }),
      ['request/packaging-task[0]/packaging-task-document[0]/@task-id', '"t9" does not match any task/@id in this request'],
    );
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingTaskDocument: [{ taskId: 't2', documentId: 'd1' }] })];
      }),
      ['request/packaging-task[0]/packaging-task-document[0]/@document-id', 'task "t2" does not sign document "d1"'],
    );
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingTaskDocument: [{ taskId: 't1', documentId: '' }] })];
      }),
      ['request/packaging-task[0]/packaging-task-document[0]/@document-id', 'is required'],
    );
  });

  test('packaging-task needs an id, a method and at least one document; ids are unique', () => {
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingTaskId: '' })];
      }),
      ['request/packaging-task[0]/@packaging-task-id', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ method: '' })];
      }),
      ['request/packaging-task[0]/@method', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingTaskDocument: [] })];
      }),
      ['request/packaging-task[0]/packaging-task-document', 'at least one is required'],
    );
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging(), packaging()];
      }),
      [
        'request/packaging-task[1]/@packaging-task-id',
        'packaging-task-id "p1" is used twice (first at request/packaging-task[0]/@packaging-task-id)',
      ],
    );
    accepts((r) => {
      r.packagingTask = [packaging(), packaging({ packagingTaskId: 'p2' })];
    });
  });

  test('packaging-notification is checked like any notification', () => {
    expectExactly(
      check((r) => {
        r.packagingTask = [packaging({ packagingNotification: [notification('n1', { message: '' })] })];
      }),
      ['request/packaging-task[0]/packaging-notification[0]/message', 'is required'],
    );
    accepts((r) => {
      r.packagingTask = [packaging({ packagingNotification: [notification('n1')] })];
    });
  });
});

describe('notifications', () => {
  test('a valid notification at request, task and packaging level, same id in different scopes', () => {
    accepts((r) => {
      r.notification = [notification('n1')];
      t(r, 0).notification = [notification('n1')];
      t(r, 1).notification = [notification('n1'), notification('n2', { type: 'SMS', recipient: '+4712345678' })];
      r.packagingTask = [
        packaging({ packagingNotification: [notification('n1', { type: 'URL', recipient: 'https://rp.example/cb?x=1' })] }),
      ];
    });
  });

  test('notification-id is unique per scope', () => {
    expectExactly(
      check((r) => {
        r.notification = [notification('n1'), notification('n1')];
      }),
      [
        'request/notification[1]/@notification-id',
        'notification-id "n1" is used twice (first at request/notification[0]/@notification-id)',
      ],
    );
    expectExactly(
      check((r) => {
        t(r, 1).notification = [notification('n1'), notification('n1')];
      }),
      [
        'request/task[1]/notification[1]/@notification-id',
        'notification-id "n1" is used twice (first at request/task[1]/notification[0]/@notification-id)',
      ],
    );
  });

  test('notification-id is required', () => {
    expectExactly(
      check((r) => {
        r.notification = [notification('')];
      }),
      ['request/notification[0]/@notification-id', 'is required'],
    );
  });

  test('type is required and one of SMS, EMAIL, URL', () => {
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { type: undefined as never })];
      }),
      ['request/notification[0]/@type', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { type: 'FAX' as never })];
      }),
      ['request/notification[0]/@type', 'must be one of SMS, EMAIL, URL'],
    );
  });

  test('recipient is required', () => {
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { recipient: '' })];
      }),
      ['request/notification[0]/recipient', 'is required'],
    );
  });

  test('URL recipient must be an absolute http(s) URL', () => {
    for (const bad of ['rp.example/callback', '/callback', 'ftp://rp.example/cb', 'javascript:alert(1)', 'mailto:ada@example.com']) {
      expectExactly(
        check((r) => {
          r.notification = [notification('n1', { type: 'URL', recipient: bad })];
        }),
        ['request/notification[0]/recipient', 'must be an absolute http or https URL'],
      );
    }
    accepts((r) => {
      r.notification = [notification('n1', { type: 'URL', recipient: 'http://rp.example:8080/cb?a=b' })];
    });
  });

  test('EMAIL recipient must contain @', () => {
    for (const bad of ['ada.example.com', 'ada@', '@example.com', 'ada @example.com']) {
      expectExactly(
        check((r) => {
          r.notification = [notification('n1', { recipient: bad })];
        }),
        ['request/notification[0]/recipient', 'must be an e-mail address'],
      );
    }
  });

  test('SMS recipient must be digits, optionally with a leading +', () => {
    for (const bad of ['call me', '12-34-56-78', '++4712345678', '1234', '4712345678x']) {
      expectExactly(
        check((r) => {
          r.notification = [notification('n1', { type: 'SMS', recipient: bad })];
        }),
        ['request/notification[0]/recipient', 'must be an E.164 phone number such as +4712345678'],
      );
    }
    accepts((r) => {
      r.notification = [notification('n1', { type: 'SMS', recipient: '+4712345678' })];
    });
  });

  test('message is required', () => {
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { message: '' })];
      }),
      ['request/notification[0]/message', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { message: '   ' })];
      }),
      ['request/notification[0]/message', 'is required'],
    );
  });

  test('at most 50 notifications per scope and 10 schedules per notification', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => notification(`n${i + 1}`));
    expectExactly(
      check((r) => {
        t(r, 0).notification = list(51);
      }),
      ['request/task[0]/notification', 'at most 50 are allowed (got 51)'],
    );
    accepts((r) => {
      t(r, 0).notification = list(50);
    });
    const schedules = (n: number) => Array.from({ length: n }, () => ({ stateIs: 'created' as const }));
    expectExactly(
      check((r) => {
        r.notification = [notification('n1', { schedule: schedules(11) })];
      }),
      ['request/notification[0]/schedule', 'at most 10 are allowed (got 11)'],
    );
    accepts((r) => {
      r.notification = [notification('n1', { schedule: schedules(10) })];
    });
  });

  describe('schedule', () => {
    const withSchedule = (s: object) => (r: SigningRequest) => {
      t(r, 0).notification = [notification('n1', { schedule: [s as never] })];
    };
    const P = 'request/task[0]/notification[0]/schedule[0]';

    test('state-is is required and a task-status', () => {
      expectExactly(check(withSchedule({})), [`${P}/state-is`, 'is required']);
      expectExactly(check(withSchedule({ stateIs: 'done' })), [
        `${P}/state-is`,
        'must be one of created, completed, rejected, expired, deleted, failed',
      ]);
      for (const stateIs of ['created', 'completed', 'rejected', 'expired', 'deleted', 'failed']) accepts(withSchedule({ stateIs }));
    });

    test('wait-until must be a dateTime', () => {
      for (const bad of ['tomorrow', '2026-13-01T09:00:00Z', '']) {
        expectExactly(check(withSchedule({ stateIs: 'created', waitUntil: bad })), [
          `${P}/wait-until`,
          'must be an xs:dateTime such as 2026-12-01T09:00:00Z',
        ]);
      }
      accepts(withSchedule({ stateIs: 'created', waitUntil: '2026-12-01T09:00:00Z' }));
      accepts(withSchedule({ stateIs: 'created', waitUntil: '2026-12-01T09:00:00.123+02:00' }));
    });

    // BUG (src/core/validate.ts checkSchedule): wait-until is checked with Date.parse, which accepts
    // strings that are not xs:dateTime at all ("1" parses as 2001-01-01, "Dec 1 2026" in server-local time).
    test('wait-until rejects values that Date.parse accepts but are not xs:dateTime', () => {
      for (const bad of ['1', '2026', 'Dec 1 2026', '2026-12-01']) {
        expectExactly(check(withSchedule({ stateIs: 'created', waitUntil: bad })), [`${P}/wait-until`, 'must be an xs:dateTime']);
      }
    });

    test('wait days/hours/minutes are whole numbers from 0 to 100000', () => {
      expectExactly(check(withSchedule({ stateIs: 'created', wait: { days: -1 } })), [
        `${P}/wait/@days`,
        'must be a whole number from 0 to 100000',
      ]);
      expectExactly(check(withSchedule({ stateIs: 'created', wait: { hours: 1.5 } })), [
        `${P}/wait/@hours`,
        'must be a whole number from 0 to 100000',
      ]);
      expectExactly(check(withSchedule({ stateIs: 'created', wait: { minutes: 100_001 } })), [
        `${P}/wait/@minutes`,
        'must be a whole number from 0 to 100000',
      ]);
      accepts(withSchedule({ stateIs: 'created', wait: { days: 0, hours: 12, minutes: 100_000 } }));
    });

    test('days-of-week, time-of-day and timezone are at most 64 characters', () => {
      for (const [key, wire] of [
        ['daysOfWeek', 'days-of-week'],
        ['timeOfDay', 'time-of-day'],
        ['timezone', 'timezone'],
      ] as const) {
        expectExactly(check(withSchedule({ stateIs: 'created', [key]: 'x'.repeat(65) })), [
          `${P}/${wire}`,
          'must be at most 64 characters',
        ]);
      }
      // the longest valid values still pass
      accepts(
        withSchedule({
          stateIs: 'created',
          daysOfWeek: 'MON,TUE,WED,THU,FRI,SAT,SUN,MON-FRI,SAT-SUN,mon,tue,wed,thu,fri,SAT'.slice(0, 64).replace(/,$/, ''),
        }),
      );
      accepts(withSchedule({ stateIs: 'created', timeOfDay: '08:00-16:00' }));
      accepts(withSchedule({ stateIs: 'created', timezone: 'America/Argentina/ComodRivadavia' }));
    });
  });
});

describe('eID methods', () => {
  test('authentication methods must be known', () => {
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: ['bankid'] };
      }),
      ['request/task[0]/authentication/method[0]', '"bankid" is not a known eID method here (known: nemid)'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: ['nemid', 'nemid-sign'] };
      }),
      ['request/task[0]/authentication/method[1]', '"nemid-sign" is not a known eID method here (known: nemid)'],
    );
  });

  test('the known list is sorted', () => {
    const c: ValidationContext = { authenticationMethods: new Set(['sbid', 'nbid', 'nemid']), signatureMethods: new Set() };
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: ['tupas'] };
      }, c),
      ['request/task[0]/authentication/method[0]', '"tupas" is not a known eID method here (known: nbid, nemid, sbid)'],
    );
  });

  test('signature methods must be known signature methods', () => {
    accepts((r) => {
      t(r, 0).signature = [{ method: [{ value: 'nemid-sign', handwritten: true }] }];
    });
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [{ value: 'bankid-sign' }] }];
      }),
      ['request/task[0]/signature[0]/method[0]', '"bankid-sign" is not a known eID method here (known: nemid-sign)'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [{ value: 'nemid' }] }];
      }),
      ['request/task[0]/signature[0]/method[0]', '"nemid" is not a known eID method here (known: nemid-sign)'],
    );
  });

  test('an empty signature method only with handwritten="true" (handwriting only), and then as the one signature method', () => {
    accepts((r) => {
      t(r, 0).signature = [{ method: [{ value: '', handwritten: true }] }];
    });
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [{ value: '' }] }];
      }),
      [
        'request/task[0]/signature[0]/method[0]',
        'is required: a method name may be empty only with handwritten="true" (a handwriting-only signature)',
      ],
    );
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [{ value: 'nemid-sign' }, { value: ' ', handwritten: true }] }];
      }),
      [
        'request/task[0]/signature[0]/method[1]',
        'a handwriting-only method (no name, handwritten="true") must be the only signature method of the task',
      ],
    );
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [{ value: '', handwritten: true }] }];
        t(r, 0).authenticationBasedSignature = [{ method: [{ value: 'nemid' }] }];
      }),
      [
        'request/task[0]/signature[0]/method[0]',
        'a handwriting-only method (no name, handwritten="true") must be the only signature method of the task',
      ],
    );
    expectExactly(
      check((r) => {
        t(r, 0).authenticationBasedSignature = [{ method: [{ value: '', handwritten: true }] }];
      }),
      [
        'request/task[0]/authentication-based-signature[0]/method[0]',
        'is required: a method name may be empty only in signature/method, with handwritten="true" (a handwriting-only signature)',
      ],
    );
  });

  test('authentication-based-signature methods must be known authentication methods', () => {
    accepts((r) => {
      t(r, 0).authenticationBasedSignature = [{ method: [{ value: 'nemid' }] }];
    });
    expectExactly(
      check((r) => {
        t(r, 0).authenticationBasedSignature = [{ method: [{ value: 'nemid-sign' }] }];
      }),
      ['request/task[0]/authentication-based-signature[0]/method[0]', '"nemid-sign" is not a known eID method here (known: nemid)'],
    );
  });

  test('an empty context rejects every method', () => {
    expectExactly(
      check((r) => {
        t(r, 1).signature = [{ method: [{ value: 'nemid-sign' }] }];
        t(r, 1).authenticationBasedSignature = [{ method: [{ value: 'nemid' }] }];
      }, emptyCtx),
      ['request/task[0]/authentication/method[0]', '"nemid" is not a known eID method here (known: none are enabled)'],
      ['request/task[1]/signature[0]/method[0]', '"nemid-sign" is not a known eID method here (known: none are enabled)'],
      ['request/task[1]/authentication-based-signature[0]/method[0]', '"nemid" is not a known eID method here (known: none are enabled)'],
    );
  });

  test('method lists hold 1 to 20 non-empty names', () => {
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: [] };
      }),
      ['request/task[0]/authentication/method', 'at least one is required'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).signature = [{ method: [] }];
      }),
      ['request/task[0]/signature[0]/method', 'at least one is required'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: [''] };
      }),
      ['request/task[0]/authentication/method[0]', 'is required'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).authentication = { method: Array<string>(21).fill('nemid') };
      }),
      ['request/task[0]/authentication/method', 'at most 20 are allowed (got 21)'],
    );
    accepts((r) => {
      t(r, 0).authentication = { method: Array<string>(20).fill('nemid') };
    });
  });
});

describe('URLs', () => {
  test('on-task-complete with ${requestId}/${taskId} placeholders is accepted', () => {
    accepts((r) => {
      t(r, 0).onTaskComplete = 'https://rp.example/done?requestId=${requestId}&taskId=${taskId}&status=taskcomplete';
      t(r, 0).onTaskCancel = 'https://rp.example/${requestId}/${taskId}/cancel';
      t(r, 0).onTaskPostpone = 'http://localhost:3000/later?r=%24%7BrequestId%7D';
    });
  });

  test('a javascript: URL is rejected', () => {
    expectExactly(
      check((r) => {
        t(r, 0).onTaskComplete = 'javascript:alert(document.cookie)';
      }),
      ['request/task[0]/on-task-complete', 'must be an absolute http or https URL'],
    );
  });

  test('relative and non-http URLs are rejected in every redirect', () => {
    expectExactly(
      check((r) => {
        t(r, 0).onTaskCancel = '/cancel';
      }),
      ['request/task[0]/on-task-cancel', 'must be an absolute http or https URL'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).onTaskPostpone = 'ftp://rp.example/x';
      }),
      ['request/task[0]/on-task-postpone', 'must be an absolute http or https URL'],
    );
    expectExactly(
      check((r) => {
        t(r, 0).onTaskComplete = '${requestId}';
      }),
      ['request/task[0]/on-task-complete', 'must be an absolute http or https URL'],
    );
  });

  test('URLs are at most 2048 characters', () => {
    const url = (n: number) => 'https://rp.example/' + 'a'.repeat(n - 'https://rp.example/'.length);
    expectExactly(
      check((r) => {
        t(r, 0).onTaskComplete = url(2049);
      }),
      ['request/task[0]/on-task-complete', 'must be at most 2048 characters'],
    );
    accepts((r) => {
      t(r, 0).onTaskComplete = url(2048);
    });
  });
});

describe('request-level fields', () => {
  test('sender needs unique-id', () => {
    expectExactly(
      check((r) => {
        r.sender = { uniqueId: '' };
      }),
      ['request/sender/unique-id', 'is required'],
    );
    expectExactly(
      check((r) => {
        r.sender = { uniqueId: 'u'.repeat(129) };
      }),
      ['request/sender/unique-id', 'must be at most 128 characters'],
    );
    accepts((r) => {
      r.sender = { uniqueId: 'case-officer-7', firstName: 'Ola', lastName: 'Nordmann' };
    });
  });

  test('days-until-deletion is a whole number from 1 to 3650', () => {
    for (const bad of [0, 3651, 1.5]) {
      expectExactly(
        check((r) => {
          r.daysUntilDeletion = bad;
        }),
        ['request/days-until-deletion', 'must be a whole number of days from 1 to 3650'],
      );
    }
    accepts((r) => {
      r.daysUntilDeletion = 1;
    });
    accepts((r) => {
      r.daysUntilDeletion = 3650;
    });
  });

  test('sdo-format other than native is rejected', () => {
    expectExactly(
      check((r) => {
        r.sdoFormat = 'xades';
      }),
      ['request/sdo-format', 'only "native" is supported'],
    );
    expectExactly(
      check((r) => {
        r.sdoFormat = '';
      }),
      ['request/sdo-format', 'only "native" is supported'],
    );
    accepts((r) => {
      r.sdoFormat = 'native';
    });
  });
});

describe('text lengths', () => {
  type Setter = (r: SigningRequest, s: string) => void;
  const cases: Array<[string, Setter, string, number]> = [
    [
      'request profile',
      (r, s) => {
        r.profile = s;
      },
      'request/profile',
      64,
    ],
    [
      'request language',
      (r, s) => {
        r.language = s;
      },
      'request/language',
      16,
    ],
    [
      'client-reference',
      (r, s) => {
        r.clientReference = s;
      },
      'request/client-reference',
      1024,
    ],
    [
      'account',
      (r, s) => {
        r.account = s;
      },
      'request/account',
      128,
    ],
    [
      'sender first-name',
      (r, s) => {
        r.sender = { uniqueId: 'u1', firstName: s };
      },
      'request/sender/first-name',
      256,
    ],
    [
      'sender last-name',
      (r, s) => {
        r.sender = { uniqueId: 'u1', lastName: s };
      },
      'request/sender/last-name',
      256,
    ],
    [
      'subject national-id',
      (r, s) => {
        r.subject![0]!.nationalId = s;
      },
      'request/subject[0]/national-id',
      256,
    ],
    [
      'subject first-name',
      (r, s) => {
        r.subject![0]!.firstName = s;
      },
      'request/subject[0]/first-name',
      256,
    ],
    [
      'subject last-name',
      (r, s) => {
        r.subject![0]!.lastName = s;
      },
      'request/subject[0]/last-name',
      256,
    ],
    [
      'subject mobile',
      (r, s) => {
        r.subject![0]!.mobile = s;
      },
      'request/subject[0]/mobile',
      256,
    ],
    [
      'subject email',
      (r, s) => {
        r.subject![0]!.email = s;
      },
      'request/subject[0]/email',
      256,
    ],
    [
      'subject username',
      (r, s) => {
        r.subject![0]!.username = s;
      },
      'request/subject[0]/username',
      256,
    ],
    [
      'inline subject email',
      (r, s) => {
        t(r, 1).subject = { email: s };
      },
      'request/task[1]/subject/email',
      256,
    ],
    [
      'task dialog title',
      (r, s) => {
        t(r, 0).dialog = { title: s };
      },
      'request/task[0]/dialog/title',
      500,
    ],
    [
      'task dialog message',
      (r, s) => {
        t(r, 0).dialog = { message: s };
      },
      'request/task[0]/dialog/message',
      10_000,
    ],
    [
      'task profile',
      (r, s) => {
        t(r, 0).profile = s;
      },
      'request/task[0]/profile',
      64,
    ],
    [
      'task language',
      (r, s) => {
        t(r, 0).language = s;
      },
      'request/task[0]/language',
      64,
    ],
    [
      'task configuration',
      (r, s) => {
        t(r, 0).configuration = s;
      },
      'request/task[0]/configuration',
      64,
    ],
    [
      'task sign-text',
      (r, s) => {
        t(r, 0).signText = s;
      },
      'request/task[0]/sign-text',
      10_000,
    ],
    [
      'authentication dialog title',
      (r, s) => {
        t(r, 0).authentication!.dialog = { title: s };
      },
      'request/task[0]/authentication/dialog/title',
      500,
    ],
    [
      'signature dialog title',
      (r, s) => {
        t(r, 0).signature = [{ dialog: { title: s }, method: [{ value: 'nemid-sign' }] }];
      },
      'request/task[0]/signature[0]/dialog/title',
      500,
    ],
    [
      'abs dialog message',
      (r, s) => {
        t(r, 0).authenticationBasedSignature = [{ dialog: { message: s }, method: [{ value: 'nemid' }] }];
      },
      'request/task[0]/authentication-based-signature[0]/dialog/message',
      10_000,
    ],
    [
      'document external-reference',
      (r, s) => {
        doc(r, 0).externalReference = s;
      },
      'request/document[0]/external-reference',
      1024,
    ],
    [
      'document sign-text-entry',
      (r, s) => {
        doc(r, 0).signTextEntry = s;
      },
      'request/document[0]/sign-text-entry',
      10_000,
    ],
    [
      'document description',
      (r, s) => {
        (doc(r, 0) as ProvidedDocument).description = s;
      },
      'request/document[0]/description',
      1024,
    ],
    [
      'notification sender',
      (r, s) => {
        r.notification = [notification('n1', { sender: s })];
      },
      'request/notification[0]/sender',
      256,
    ],
    [
      'notification header',
      (r, s) => {
        r.notification = [notification('n1', { header: s })];
      },
      'request/notification[0]/header',
      1024,
    ],
    [
      'notification message',
      (r, s) => {
        r.notification = [notification('n1', { message: s })];
      },
      'request/notification[0]/message',
      10_000,
    ],
    [
      'notification recipient',
      (r, s) => {
        r.notification = [notification('n1', { recipient: `${s.slice(2)}@x` })];
      },
      'request/notification[0]/recipient',
      2048,
    ],
  ];

  test.each(cases)('%s is at most its limit', (_label, set, path, max) => {
    expectExactly(
      check((r) => set(r, 'x'.repeat(max + 1))),
      [path, `must be at most ${max} characters`],
    );
    accepts((r) => set(r, 'x'.repeat(max)));
  });
});

describe('validateRequests', () => {
  test('at least one request per call', () => {
    expect(violationsOf(() => validateRequests([], ctx))).toEqual([{ path: 'request', rule: 'at least one request is required' }]);
  });

  test('at most 20 requests per call', () => {
    expect(LIMITS.requestsPerCall).toBe(20);
    const list = (n: number) => Array.from({ length: n }, validRequest);
    expect(violationsOf(() => validateRequests(list(21), ctx))).toEqual([
      { path: 'request', rule: 'at most 20 requests per call (got 21)' },
    ]);
    expect(() => validateRequests(list(20), ctx)).not.toThrow();
  });

  test('paths name the request by its index', () => {
    const bad = validRequest();
    bad.task[1]!.dependsOnTask = ['t9'];
    const other = validRequest();
    other.sdoFormat = 'xades';
    expectExactly(
      () => validateRequests([validRequest(), bad, other], ctx),
      ['request[1]/task[1]/depends-on-task[0]', '"t9" does not match'],
      ['request[2]/sdo-format', 'only "native" is supported'],
    );
  });

  test('at most 20 violations are reported', () => {
    const many = () => {
      const r = validRequest();
      r.subject = Array.from({ length: 15 }, () => ({}));
      delete r.task[0]!.subjectRef;
      return r;
    };
    expect(violationsOf(() => validateRequest(many(), ctx))).toHaveLength(15);
    const got = violationsOf(() => validateRequests([many(), many()], ctx));
    expect(got).toHaveLength(20);
    expect(got[14]).toEqual({ path: 'request[0]/subject[14]/@id', rule: 'is required' });
    expect(got[15]).toEqual({ path: 'request[1]/subject[0]/@id', rule: 'is required' });
    const one = validRequest();
    one.subject = Array.from({ length: 30 }, () => ({}));
    delete one.task[0]!.subjectRef;
    expect(violationsOf(() => validateRequest(one, ctx))).toHaveLength(20);
  });
});

describe('validateAddedTask', () => {
  const newTask = (extra: Partial<Task> = {}): Task => ({
    id: 't3',
    documentAction: [{ type: 'sign', documentRef: 'd1' }],
    dependsOnTask: ['t1'],
    ...extra,
  });

  test('a new task depending on an existing task is accepted', () => {
    expect(() => validateAddedTask(validRequest(), newTask(), ctx)).not.toThrow();
    expect(() =>
      validateAddedTask(
        validRequest(),
        newTask({
          dependsOnTask: ['t2'],
          documentAction: [{ type: 'view', document: { kind: 'result-document', id: 'r1', refTaskId: 't1', refDocumentId: 'd1' } }],
          subjectRef: 's1',
        }),
        ctx,
      ),
    ).not.toThrow();
  });

  test('a duplicate task id is rejected', () => {
    expect(violationsOf(() => validateAddedTask(validRequest(), newTask({ id: 't1' }), ctx))).toEqual([
      { path: 'task/@id', rule: 'task "t1" already exists in this request' },
    ]);
  });

  test('paths are relative to task', () => {
    expectExactly(
      () =>
        validateAddedTask(
          validRequest(),
          newTask({
            dependsOnTask: ['t9'],
            subjectRef: 's9',
            documentAction: [{ type: 'view', documentRef: 'd9' }],
          }),
          ctx,
        ),
      ['task/subject-ref', '"s9" does not match any request/subject/@id'],
      ['task/document-action[0]/document-ref', '"d9" does not match any request/document/@id'],
      ['task/depends-on-task[0]', '"t9" does not match any task/@id in this request'],
    );
    expectExactly(
      () => validateAddedTask(validRequest(), newTask({ authentication: { method: ['bankid'] } }), ctx),
      ['task/authentication/method[0]', '"bankid" is not a known eID method here'],
    );
  });

  test('an inline document id clashing with the request is reported on the new task', () => {
    expectExactly(
      () => validateAddedTask(validRequest(), newTask({ documentAction: [{ type: 'view', document: provided('d1') }] }), ctx),
      ['task/document-action[0]/document/@id', 'document id "d1" is used twice (first at request/document[0]/@id)'],
    );
  });

  test('violations of existing tasks are not blamed on the new task', () => {
    const existing = validRequest();
    existing.task[0]!.authentication = { method: ['retired-eid'] };
    expect(() => validateAddedTask(existing, newTask(), ctx)).not.toThrow();
  });

  test('the 101st task breaks the task limit', () => {
    const existing = validRequest();
    existing.task = Array.from({ length: 100 }, (_, i): Task => ({
      id: `t${i + 1}`,
      documentAction: [{ type: 'view', documentRef: 'd1' }],
    }));
    expect(violationsOf(() => validateAddedTask(existing, newTask({ id: 't101' }), ctx))).toEqual([
      { path: 'request/task', rule: 'at most 100 are allowed (got 101)' },
    ]);
  });
});

describe('validateNotification', () => {
  test('a valid notification with distinct siblings is accepted', () => {
    expect(() => validateNotification(notification('n3'), [notification('n1'), notification('n2')])).not.toThrow();
  });

  test('a duplicate id is rejected', () => {
    expect(violationsOf(() => validateNotification(notification('n2'), [notification('n1'), notification('n2')]))).toEqual([
      { path: 'notification/@notification-id', rule: '"n2" is already used in this scope' },
    ]);
  });

  test('notification rules apply, under the given path', () => {
    expectExactly(
      () =>
        validateNotification(notification('n1', { type: 'URL', recipient: 'javascript:alert(1)', message: '' }), [], 'task/notification'),
      ['task/notification/recipient', 'must be an absolute http or https URL'],
      ['task/notification/message', 'is required'],
    );
  });

  // BUG (src/core/validate.ts validateNotification): LIMITS.notificationsPerScope (50) is enforced at
  // createRequest but not by addNotification, so a scope can grow past 50 one notification at a time.
  test('a 51st notification in a scope is rejected', () => {
    const fifty = Array.from({ length: LIMITS.notificationsPerScope }, (_, i) => notification(`n${i + 1}`));
    expect(() => validateNotification(notification('n51'), fifty.slice(0, 49))).not.toThrow();
    expectIncludes(() => validateNotification(notification('n51'), fifty), 'notification', 'at most 50');
  });
});

describe('normalizeRequest', () => {
  test('inline documents without an id get <taskId>-<n> (n = 1-based action position)', () => {
    const r = validRequest();
    t(r, 0).documentAction.push({ type: 'view', document: provided(undefined) }, { type: 'view', document: provided('own') });
    t(r, 1).documentAction = [
      { type: 'view', document: provided('') },
      { type: 'view', document: provided(undefined) },
    ];
    const out = normalizeRequest(r);
    expect(out).toBe(r);
    expect(t(r, 0).documentAction.map((a) => a.documentRef ?? a.document?.id)).toEqual(['d1', 't1-2', 'own']);
    expect(t(r, 1).documentAction.map((a) => a.document?.id)).toEqual(['t2-1', 't2-2']);
    expect(doc(r, 0).id).toBe('d1');
    expect(() => validateRequest(r, ctx)).not.toThrow();
  });
});
