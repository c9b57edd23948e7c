// The ArchiveService's use cases: an integrator reads or removes its own archived documents. Entries
// of other services are as absent as unknown ids; removing answers only the ids that existed.
import { NotFoundError } from './errors';
import { idList } from './validate';
import type { ArchiveEntry, ServiceAccount } from './ports';

/** What the archive use cases need of the store. */
export interface ArchivePort {
  get(serviceId: number, id: string): Promise<ArchiveEntry | null>;
  /** Removes the service's entries among `ids` (their bytes when nothing else names them); returns those that existed. */
  remove(serviceId: number, ids: string[]): Promise<string[]>;
}

export class ArchiveUseCases {
  constructor(private readonly d: { store: ArchivePort }) {}

  /** getDocument: NotFound names archive-id when the service has no such entry. */
  async get(svc: ServiceAccount, id: string): Promise<ArchiveEntry> {
    const e = await this.d.store.get(svc.id, id);
    if (!e) throw new NotFoundError('archive-id', `no archived document "${id}" exists for service ${svc.name}`);
    return e;
  }

  /** removeDocument: the ids (each once, in the order given) that were this service's entries and are now gone. */
  remove(svc: ServiceAccount, ids: string[]): Promise<string[]> {
    return this.d.store.remove(svc.id, idList(ids, 'archive-id'));
  }
}
