/**
 * Layering rules for the target layout of docs (DESIGN.md, "Layout"). Run with `npm run deps`.
 * Each rule says why it exists; `from`/`to` paths are relative to the repository root.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'src/core holds the protocol model and the state machine: it must stay testable without a database, network or ' +
        'framework, so it imports nothing of ours except the leaf helpers in src/util (node built-ins and npm packages are ' +
        'governed by review, not here).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/util/'] },
    },
    {
      name: 'trust-is-a-library',
      comment:
        'src/trust (XAdES, PAdES, certificate paths, OCSP, TSA, OIDC evidence) is a standards library: it may use node:crypto/buffer, the ' +
        'crypto/JOSE/XML/ASN.1/PDF packages and src/util, nothing of the product, so it can be audited (and extracted) on its own.',
      severity: 'error',
      from: { path: '^src/trust/' },
      to: {
        pathNot: [
          '^src/trust/',
          '^src/util/',
          '^(node:)?(crypto|buffer)$',
          'node_modules/(@peculiar/x509|@peculiar/[^/]+|pkijs|asn1js|node-forge|xadesjs|xmldsigjs|@xmldom/xmldom|xpath|saxes|reflect-metadata|@cantoo/pdf-lib|@cantoo/fontkit|jose)/',
        ],
      },
    },
    {
      name: 'adapters-apart',
      comment:
        'The outward adapters (SOAP, SDS, portal, notifications, the REST API) each talk to core and store, never to each other, so one ' +
        'can change its wire without touching another. Shared pieces belong in src/core or src/util.',
      severity: 'error',
      from: { path: '^src/(soap|sds|portal|notify|api)/' },
      to: { path: '^src/(soap|sds|portal|notify|api)/', pathNot: '^src/$1/' },
    },
    {
      name: 'store-without-eid',
      comment: 'Persistence must not know the eID providers; the portal/eid layer hands the store plain values.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/eid/' },
    },
    {
      name: 'src-not-tests',
      comment: 'Product code must not import test or bench helpers (they are not in the build or the image).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles in src make load order matter and hide layering mistakes.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'Product code runs without devDependencies (npm ci --omit=dev in the image).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Orphans are knip's job (knip.json); here only the import graph of src/.
    doNotFollow: { path: 'node_modules' },
    // the portal's browser script imports pdf.js by its served URL, not a module path
    exclude: { path: '^(dist|coverage|test/fixtures)/|^src/portal/static/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
