// PackagingService v4 over SOAP (wsdl/packagingservice-v4.wsdl, Signicat's contract): one operation,
// create-package. The decoded request already has the core's shape. Failures are the response's
// `error`, never a fault (docs/packaging.md): a request that breaks the schema is `invalid-request`,
// an unexpected failure `internal-error` with the reference it is logged under. Only a wrong login
// and unreadable XML are faults, as on the other endpoints.
import type { Logger } from 'pino';
import { newErrorReference } from '../core/ids';
import type { CreatePackageInput, PackagingUseCases } from '../core/packaging';
import type { SoapOperation } from './endpoint';

export interface PackagingContext {
  packaging: PackagingUseCases;
  log: Logger;
}

export const PACKAGING_OPERATIONS: Record<string, SoapOperation<PackagingContext>> = {
  'create-package-request': {
    name: 'createPackage',
    response: 'create-package-response',
    run: async (ctx, svc, i) => {
      try {
        return await ctx.packaging.createPackage(svc, i as unknown as CreatePackageInput);
      } catch (e) {
        const ref = newErrorReference();
        ctx.log.error({ err: e, op: 'createPackage', service: svc.name, ref }, 'create-package failed');
        return { error: { code: 'internal-error', message: `internal error (reference ${ref})` } };
      }
    },
    invalid: (problem) => ({ error: { code: 'invalid-request', message: problem } }),
  },
};
