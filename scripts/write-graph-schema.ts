// `npm run schema`: writes docs/graph.schema.json from the zod schemas; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { graphJsonSchema } from '../shared/graph-json-schema.js';

const file = new URL('../docs/graph.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(graphJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
