import type { z } from 'zod';
import type { ner as kind } from '../../shared/catalog/ner.js';
import { textInput } from '../models/node-inputs.js';
import { type Entity, winkEntities } from '../text/wink-entities.js';
import type { NodeImplementation } from './types.js';

type Config = z.output<typeof kind.config>;

export const ner: NodeImplementation<Config> = {
  kind: 'ner',
  async setup(config, ctx) {
    let find: (text: string) => Entity[] | Promise<Entity[]>;
    if (config.backend === 'onnx') {
      void ctx;
      throw new Error('config.backend: "onnx" token classification is not available in this build; use "wink"');
    } else {
      find = winkEntities;
      winkEntities('warm up on 1 January 2025');
    }
    const keep = config.types ? new Set(config.types.map((t) => t.toUpperCase())) : undefined;
    return {
      async call(inputs) {
        const all = await find(textInput(inputs));
        return { entities: keep ? all.filter((e) => keep.has(e.type.toUpperCase())) : all };
      },
    };
  },
};

export default ner;
