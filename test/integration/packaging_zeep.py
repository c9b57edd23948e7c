#!/usr/bin/python3
"""PackagingService v4 create-package through python-zeep, built from a WSDL (Signicat's reference copy).

Usage: packaging_zeep.py <wsdl> <endpoint>   with a JSON list of calls on stdin; each call is the
keyword arguments of create-package, the SDOs (sdo / sdo-extended, mixed, in order) under
"_value_1" as zeep names an unbounded xsd:choice. zeep runs with strict=True, so a response that
breaks the reference schema raises. Prints ONE JSON list: per call {"id", "error": {"code",
"message"}} as zeep parsed them, or {"fault": message} for a SOAP Fault.
"""
import json
import sys

BINDING = '{https://id.signicat.com/definitions/wsdl/Packaging-v4}PackagingServiceSoapBinding'


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: packaging_zeep.py <wsdl> <endpoint> < calls.json\n')
        return 2
    import zeep
    from zeep.exceptions import Fault

    client = zeep.Client(argv[1], settings=zeep.Settings(strict=True))
    svc = client.create_service(BINDING, argv[2])
    out = []
    for call in json.load(sys.stdin):
        try:
            r = svc['create-package'](**call)
        except Fault as f:
            out.append({'fault': f.message})
            continue
        err = r['error']
        out.append({
            'id': r['id'],
            'error': None if err is None else {'code': err['code'], 'message': err['message']},
        })
    json.dump(out, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
