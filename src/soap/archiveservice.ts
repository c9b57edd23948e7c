// ArchiveService v3 over SOAP (segl's design of the interface; wsdl/archiveservice-v3.wsdl).
import type { ArchiveUseCases } from '../core/archive';
import type { BlobStore } from '../store/blobs';
import { ValidationError } from '../core/errors';
import type { SoapOperation } from './endpoint';

export interface ArchiveContext {
  archive: ArchiveUseCases;
  blobs: BlobStore;
  /** larger documents are only served over HTTP (base64 in XML would need 4/3 of it in memory) */
  maxInlineBytes: number;
  downloadUrl(service: string, archiveId: string): string;
}

function checkVersion(v: unknown): void {
  if (v !== '3' && v !== '3.0') throw ValidationError.one('version', `must be 3 or 3.0 (got "${String(v)}")`);
}

export const ARCHIVE_OPERATIONS: Record<string, SoapOperation<ArchiveContext>> = {
  'get-document-request': {
    name: 'getDocument',
    response: 'get-document-response',
    run: async (ctx, svc, i) => {
      checkVersion(i.version);
      const id = i.archiveId as string;
      const e = await ctx.archive.get(svc, id);
      if (e.size > ctx.maxInlineBytes) {
        throw new ValidationError([
          {
            path: 'archive-id',
            rule: `document "${id}" has ${e.size} bytes, more than ${ctx.maxInlineBytes} can be sent inline; download it from ${ctx.downloadUrl(svc.name, id)}`,
          },
        ]);
      }
      return { archiveId: id, mimeType: e.mimeType, data: await ctx.blobs.getBytes(e.blobKey) };
    },
  },
  'remove-document-request': {
    name: 'removeDocument',
    response: 'remove-document-response',
    run: async (ctx, svc, i) => {
      checkVersion(i.version);
      return { archiveId: await ctx.archive.remove(svc, i.archiveId as string[]) };
    },
  },
};
