// The portal inside an integrator's page (issue 16 part 4, src/portal/embed.ts): per service, the
// origins that may frame its task pages, space-separated, each an exact origin checked by the CLI.
import type { Dialect } from './tables';

export const embeddingSql = (d: Dialect): string[] => [`ALTER TABLE service ADD COLUMN frame_origins ${d.text}`];

export const EMBEDDING_DOWN = ['ALTER TABLE service DROP COLUMN frame_origins'];
