<?php
// Interop: PHP's SoapClient (Debian php-cli + php-soap) drives segl's DocumentService v3 endpoint.
// test/interop/php.test.ts runs it once with segl's served WSDL and once with Signicat's reference
// WSDL (test/fixtures/reference/signicat/), the endpoint overridden by the `location` option.
//
// Usage: php php_client.php WSDL ENDPOINT SERVICE PASSWORD
// Prints ONE JSON object on stdout; anything unexpected ends with exit code 1 and a message on stderr.
declare(strict_types=1);

const NS = 'https://id.signicat.com/definitions/wsdl/Document-v3';

if ($argc !== 5) {
    fwrite(STDERR, "usage: php php_client.php WSDL ENDPOINT SERVICE PASSWORD\n");
    exit(2);
}
[, $wsdl, $endpoint, $service, $password] = $argv;

// No WSDL cache: nothing is written outside the test's temporary directory.
ini_set('soap.wsdl_cache_enabled', '0');
$client = new SoapClient($wsdl, [
    'location' => $endpoint,
    'soap_version' => SOAP_1_1,
    'exceptions' => true,
    'trace' => true,
    'cache_wsdl' => WSDL_CACHE_NONE,
    // Lists stay lists even when segl returns one element.
    'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
]);

try {
    $ref = 'php-' . bin2hex(random_bytes(6));
    // document is abstract: the concrete type goes on the wire as xsi:type="provided-document".
    $document = new SoapVar([
        'id' => 'd1',
        'mime-type' => 'text/plain',
        'data' => 'signed through PHP SoapClient',
        'description' => 'PHP document',
    ], SOAP_ENC_OBJECT, 'provided-document', NS);
    $created = $client->createRequest([
        'service' => $service,
        'password' => $password,
        'request' => [[
            'language' => 'en',
            'document' => [$document],
            'task' => [[
                'id' => 't1',
                'document-action' => [['type' => 'sign', 'document-ref' => 'd1']],
            ]],
            'client-reference' => $ref,
        ]],
    ]);
    $createWire = $client->__getLastRequest();
    $ids = $created->{'request-id'};
    $requestId = $ids[0];

    $status = $client->getStatus(['service' => $service, 'password' => $password, 'request-id' => [$requestId]]);
    $statuses = [];
    foreach ($status->{'task-status-info'} as $s) {
        $docs = [];
        foreach ($s->{'document-status'} as $d) {
            $docs[] = ['id' => $d->id, 'original_uri' => $d->{'original-uri'} ?? null];
        }
        $statuses[] = [
            'request_id' => $s->{'request-id'},
            'task_id' => $s->{'task-id'},
            'task_status' => $s->{'task-status'},
            'client_reference' => $s->{'client-reference'} ?? null,
            'document_status' => $docs,
        ];
    }

    // task-id is required by the reference schema (optional in segl's).
    $history = $client->getRequestHistory(['service' => $service, 'password' => $password,
        'request-id' => $requestId, 'task-id' => 't1']);
    $events = [];
    foreach ($history->event ?? [] as $e) {
        $events[] = ['event' => $e->event, 'event_time' => $e->{'event-time'} ?? null];
    }

    // A well-formed call segl must refuse: an unknown request id.
    try {
        $client->getStatus(['service' => $service, 'password' => $password, 'request-id' => ['no-such-request']]);
        $unknown = ['raised' => false];
    } catch (SoapFault $f) {
        $unknown = ['raised' => true, 'code' => $f->faultcode, 'message' => $f->faultstring];
    }

    $deleted = $client->deleteRequest(['service' => $service, 'password' => $password, 'request-id' => [$requestId]]);

    echo json_encode([
        'php_version' => PHP_VERSION,
        'client_reference' => $ref,
        'createRequest' => ['request_ids' => $ids, 'artifact' => $created->artifact ?? null],
        'getStatus' => $statuses,
        'getRequestHistory' => $events,
        'unknownRequest' => $unknown,
        'deleteRequest' => $deleted->deleted,
        'createWire' => preg_replace('#<ns1:password>[^<]*</ns1:password>#', '<ns1:password>***</ns1:password>', $createWire),
    ], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
} catch (Throwable $e) {
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . "\n");
    if ($e instanceof SoapFault) {
        fwrite(STDERR, "last request:\n" . $client->__getLastRequest() . "\nlast response:\n" . $client->__getLastResponse() . "\n");
    }
    exit(1);
}
