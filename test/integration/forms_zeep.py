#!/usr/bin/python3
"""getStatus through python-zeep built from Signicat's reference WSDL, for the form-output-param check.

Usage: forms_zeep.py <wsdl> <endpoint> <service> <password> <request-id>
zeep runs with strict=True, so a response that breaks the reference schema raises. Prints ONE JSON
list: per task and document {"task", "document", "params": [[name, value], ...]} as zeep parsed them.
"""
import json
import sys

BINDING = '{https://id.signicat.com/definitions/wsdl/Document-v3}DocumentServiceSoapBinding'


def main(argv):
    if len(argv) != 6:
        sys.stderr.write('usage: forms_zeep.py <wsdl> <endpoint> <service> <password> <request-id>\n')
        return 2
    import zeep

    wsdl, endpoint, service, password, request_id = argv[1:6]
    client = zeep.Client(wsdl, settings=zeep.Settings(strict=True))
    svc = client.create_service(BINDING, endpoint)
    status = svc.getStatus(service=service, password=password, **{'request-id': [request_id]})
    out = []
    for s in status:
        for d in s['document-status'] or []:
            out.append({
                'task': s['task-id'],
                'document': d['id'],
                'params': [[p['name'], p['value']] for p in (d['form-output-param'] or [])],
            })
    json.dump(out, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
