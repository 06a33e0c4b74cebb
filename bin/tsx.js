#!/usr/bin/env node
// Runs a TypeScript file (bench, scripts) with tsx's loader: node bin/tsx.js file.ts [args]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const [file, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
