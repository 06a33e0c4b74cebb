import type { ExportTemplate } from './export-template.js';

/** A custom node runs the user's JavaScript, which a Ray worker cannot load: refused by name. */
export const customExport: ExportTemplate = {
  kind: 'custom',
  module: 'custom',
  className: 'CustomNode',
  requirements: [],
  source: '',
  refuse: (c) =>
    `a custom node runs the JavaScript/TypeScript module "${String(c.module ?? '?')}", which Ray Serve cannot load; rewrite it as a Python @serve.deployment and compose it by hand, or remove the node before exporting`,
};
