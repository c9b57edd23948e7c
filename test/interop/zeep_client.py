#!/usr/bin/python3
"""Interop client: drives segl's DocumentService v3 endpoint with python-zeep.

Usage: zeep_client.py <wsdl> <endpoint> <service> <password>

The WSDL is Signicat's reference WSDL (not segl's own), so zeep builds requests and
validates responses (strictly: element order, types, enums) against the real contract.
Prints ONE JSON object on stdout; exits 1 with a traceback on stderr on anything unexpected.
"""
import json
import sys
import traceback
import uuid

BINDING = '{https://id.signicat.com/definitions/wsdl/Document-v3}DocumentServiceSoapBinding'


def text(v):
    return None if v is None else str(v)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write('usage: zeep_client.py <wsdl> <endpoint> <service> <password>\n')
        return 2
    wsdl, endpoint, service_name, password = argv[1:5]

    import zeep
    from zeep import xsd
    from zeep.exceptions import Fault

    client = zeep.Client(wsdl, settings=zeep.Settings(strict=True))
    svc = client.create_service(BINDING, endpoint)
    auth = {'service': service_name, 'password': password}
    out = {'zeep_version': zeep.__version__}

    provided = client.get_type('ns0:provided-document')
    client_ref = 'zeep-' + uuid.uuid4().hex[:12]

    def doc(doc_id, body, desc):
        return provided(**{
            'id': doc_id,
            'mime-type': 'text/plain',
            'data': body,
            'description': desc,
        })

    def task(task_id, subject_ref, doc_ref, depends=None):
        t = {
            'id': task_id,
            'subject-ref': subject_ref,
            'document-action': [{'type': 'sign', 'document-ref': doc_ref}],
            'authentication': {'method': ['nemid']},
        }
        if depends:
            t['depends-on-task'] = depends
        return t

    request = {
        'profile': 'default',
        'language': 'en',
        'subject': [
            {'id': 's1', 'national-id': '0101701234', 'first-name': 'Ada', 'last-name': 'Lovelace',
             'email': 'ada@example.test'},
            {'id': 's2', 'national-id': '0202702345', 'first-name': 'Alan', 'last-name': 'Turing',
             'email': 'alan@example.test'},
        ],
        'document': [
            doc('d1', b'first document, signed by t1\n', 'First document'),
            doc('d2', b'second document, signed by t2\n', 'Second document'),
        ],
        'task': [
            task('t1', 's1', 'd1'),
            task('t2', 's2', 'd2', depends=['t1']),
        ],
        'client-reference': client_ref,
        'notification': [{
            'type': 'URL',
            'notification-id': 'n1',
            'recipient': 'http://127.0.0.1:9/zeep-callback',
            'message': 'ignored',
            'schedule': [{'state-is': 'completed'}],
        }],
    }

    # createRequest
    created = svc.createRequest(**auth, request=[request])
    request_ids = list(created['request-id'])
    request_id = request_ids[0]
    out['createRequest'] = {'request_ids': request_ids, 'artifact': text(created['artifact'])}
    out['client_reference'] = client_ref

    # getStatus
    status = svc.getStatus(**auth, **{'request-id': [request_id]})
    out['getStatus'] = [{
        'request_id': s['request-id'],
        'task_id': s['task-id'],
        'task_status': s['task-status'],
        'client_reference': s['client-reference'],
        'client_status': s['client-status'],
        'document_status': [{
            'id': d['id'],
            'original_uri': d['original-uri'],
            'result_uri': d['result-uri'],
        } for d in (s['document-status'] or [])],
    } for s in status]

    # getRequestHistory
    history = svc.getRequestHistory(**auth, **{'request-id': request_id, 'task-id': 't1'})
    out['getRequestHistory'] = [{
        'event': e['event'],
        'event_time': e['event-time'].isoformat() if e['event-time'] is not None else None,
        'data': e['data'],
    } for e in (history or []) if e is not None]

    # getTask
    t = svc.getTask(**auth, **{'request-id': request_id, 'task-id': 't2'})
    out['getTask'] = None if t is None else {
        'id': t['id'],
        'subject_ref': t['subject-ref'],
        'depends_on_task': list(t['depends-on-task'] or []),
        'document_actions': [{'type': a['type'], 'document_ref': a['document-ref']}
                             for a in t['document-action']],
        'authentication_methods': list(t['authentication']['method']) if t['authentication'] else [],
    }

    # findTasks / getTaskCount with a client-reference filter (value is xs:anyType)
    def task_filter():
        return {'criteria': [{
            'field': 'client-reference',
            'value': xsd.AnyObject(xsd.String(), client_ref),
            'operator': 'equals',
        }]}

    found = svc.findTasks(**auth, **{'filter': task_filter(), 'from-index': 0, 'to-index': 100})
    out['findTasks'] = [{
        'request_id': f['request-id'],
        'task_id': f['task-id'],
        'task_status': f['task-status'],
        'client_reference': f['client-reference'],
    } for f in (found or []) if f is not None]

    count = svc.getTaskCount(**auth, filter=task_filter())
    out['getTaskCount'] = int(count)

    # setClientStatus (void operation: empty body)
    res = svc.setClientStatus(**auth, **{'request-id': request_id, 'task-id': 't1', 'client-status': 'zeep-seen'})
    out['setClientStatus'] = res
    status_after = svc.getStatus(**auth, **{'request-id': [request_id]})
    out['clientStatusAfter'] = {s['task-id']: s['client-status'] for s in status_after}

    # createArtifact
    artifact = svc.createArtifact(**auth, **{'request-id': request_id, 'task-id': 't1'})
    out['createArtifact'] = text(artifact)

    # deleteRequest
    deleted = svc.deleteRequest(**auth, **{'request-id': [request_id]})
    out['deleteRequest'] = int(deleted)

    # wrong password: must be a SOAP fault with a faultstring
    try:
        svc.getStatus(service=service_name, password=password + '-wrong', **{'request-id': [request_id]})
        out['wrongPassword'] = {'raised': False}
    except Fault as f:
        out['wrongPassword'] = {'raised': True, 'message': f.message, 'code': text(f.code)}

    sys.stdout.write(json.dumps(out, default=str) + '\n')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
