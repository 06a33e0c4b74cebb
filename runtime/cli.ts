// `npx beamline <verb>`: one commander program; each verb lives in runtime/cli/<verb>.ts
// and registers itself. Verb modules import heavy dependencies inside their action,
// so `validate` does not pay for loading the runtime.
import { Command, type CommanderError } from 'commander';
import { register as deploy } from './cli/deploy.js';
import { register as exportVerb } from './cli/export.js';
import { register as importVerb } from './cli/import.js';
import { register as ingest } from './cli/ingest.js';
import { register as models } from './cli/models.js';
import { register as plan } from './cli/plan.js';
import { register as profile } from './cli/profile.js';
import { register as release } from './cli/release.js';
import { register as serve } from './cli/serve.js';
import { register as split } from './cli/split.js';
import { register as tune } from './cli/tune.js';
import { register as validate } from './cli/validate.js';
import { packageVersion } from './cli/version.js';

const program = new Command('beamline')
  .description('Inference graphs you build by drag-and-drop and serve like Ray Serve, in TypeScript.')
  .version(packageVersion())
  .showHelpAfterError()
  // Usage mistakes exit 2, so scripts can tell them from an invalid graph (exit 1).
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

validate(program);
plan(program);
serve(program);
ingest(program);
exportVerb(program);
importVerb(program);
models(program);
deploy(program);
release(program);
split(program);
profile(program);
tune(program);

await program.parseAsync(process.argv);
