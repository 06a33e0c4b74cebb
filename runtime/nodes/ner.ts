import type { z } from 'zod';
import type { ner as kind } from '../../shared/catalog/ner.js';
import { textInput } from '../models/node-inputs.js';
import { createTokenClassifier } from '../text/onnx-entities.js';
import { type Entity, winkEntities } from '../text/wink-entities.js';
import type { NodeImplementation } from './types.js';

type Config = z.output<typeof kind.config>;

export const ner: NodeImplementation<Config> = {
  kind: 'ner',
  async setup(config, ctx) {
    let find: (text: string) => Entity[] | Promise<Entity[]>;
    let close: (() => Promise<void>) | undefined;
    if (config.backend === 'onnx') {
      if (!config.model) throw new Error('config.model: the onnx backend needs a token-classification model folder (model.onnx, tokenizer.json, config.json)');
      const tagger = await createTokenClassifier(config.model, ctx);
      find = (text) => tagger.entities(text);
      close = () => tagger.close();
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
      close: () => close?.(),
    };
  },
};

export default ner;
