import type { z } from 'zod';
import type { rayDeployment as kind } from '../../shared/catalog/ray-deployment.js';
import type { NodeImplementation } from './types.js';

type Config = z.output<typeof kind.config>;

/**
 * A deployment of someone's Ray Serve application runs their Python in Ray;
 * Beamline has no way to run it, so a replica refuses to start and says what to
 * do instead. The node exists to be edited and exported back (beamline export).
 */
export const rayDeployment: NodeImplementation<Config> = {
  kind: 'ray-deployment',
  async setup(config) {
    const what = config.deployment ? `deployment "${config.deployment}" of ${config.importPath}` : `the application ${config.importPath}`;
    throw new Error(
      `config.importPath: ${what} is Python code for Ray Serve, which beamline serve cannot run; export the graph with \`beamline export\` and deploy it on Ray, or replace the node with a Beamline kind`,
    );
  },
};

export default rayDeployment;
