// Organisation seals per service (issue 17 part 4, docs/signatures.md "Organisation seals"): the
// service's own seal certificate and chain, and where its key is — issued by the test CA (the key
// sealed here under SEGL_SECRET), a PKCS#12 of the organisation's (sealed likewise, with its
// passphrase), or a PKCS#11 token (only the module, token and key label are kept; the PIN comes from
// an environment variable named here, never from the database).
import type { Dialect } from './tables';

export function serviceSealSql(d: Dialect): string[] {
  return [
    `CREATE TABLE service_seal (service_id integer PRIMARY KEY REFERENCES service(id), source varchar(16) NOT NULL,
      certificate ${d.text} NOT NULL, chain ${d.text} NOT NULL, secret ${d.text}, pkcs11 ${d.text}, created_at varchar(30) NOT NULL)`,
  ];
}
