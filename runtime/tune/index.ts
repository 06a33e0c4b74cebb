// Tuning for a target: profile the nodes, model the graph, search the deployment settings.
// Shapes are in shared/tuning.ts; docs/tuning.md explains the method and its assumptions.
export { applySettings, currentSettings } from './apply.js';
export { TuneError } from './errors.js';
export { graphHash, machineDifferences, thisMachine } from './machine.js';
export { type PredictOptions, predict } from './model.js';
export { type ProfileOptions, profileGraph } from './profile.js';
export { generateSamples, parseSamples } from './inputs.js';
export { checkProfile, profilePathFor, readProfile } from './profile-file.js';
export { autoscaleBounds, type TuneOptions, tune } from './search.js';
