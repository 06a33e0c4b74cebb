import type { Catalog } from '../../shared/catalog/index.js';
import { describeKind } from '../../shared/catalog/describe.js';
import type { CatalogResponse } from '../../shared/protocol.js';

export function catalogJson(catalog: Catalog, customKinds: ReadonlySet<string>): CatalogResponse {
  return { kinds: catalog.list().map((k) => describeKind(k, customKinds.has(k.kind))) };
}
