import type { Plan, PlanNode } from '../../shared/plan.js';
import type { Completion } from './completion.js';
import type { RequestError } from './errors.js';
import type { ExecResult } from './executor.js';
import type { InvokeOptions } from './invoke.js';
import type { Replica } from './replicas/replica.js';
import type { Router } from './router.js';

/**
 * Where the data plane meets the control plane. The data plane defines what it
 * needs here and the control plane implements it (controlplane/controller.ts is
 * the RouteTable, controlplane/deployment.ts a ServedGraph, controlplane/pool.ts
 * a node's NodeReplicas), so no file of the data plane imports the control plane
 * (test/runtime/planes.test.ts fails when one does).
 */

/** The graphs being served, as requests find them. */
export interface RouteTable {
  /** The graph served at a request path (routePath() of its URL), if any. */
  lookup(path: string): ServedGraph | undefined;
  /** The graph of this name (socket.io's invoke, the OpenAI routes' model). */
  get(name: string): ServedGraph | undefined;
  /** Every graph served now. */
  list(): readonly ServedGraph[];
}

/** One version of a graph taking requests: the plan the executor runs, a router per replica node, and where outcomes are counted. */
export interface ServedGraph {
  readonly name: string;
  readonly plan: Plan;
  /** Wall-clock ms (the OpenAI model list's `created`). */
  readonly deployedAt: number;
  /** One per replica-backed node. */
  readonly routers: ReadonlyMap<string, Router>;
  /** A node call ended; batchSize once per batch (its lead item). */
  observe(node: PlanNode, ms: number, ok: boolean, batchSize?: number): void;
  /** A node call dropped because its request ended first: before a replica started it, or while running (its result is discarded). */
  observeCancel(node: PlanNode, started: boolean): void;
  /** A request through the graph ended with this HTTP status (499: its client went away). */
  observeRequest(status: number, ms: number): void;
  /** Set while a release (canary or shadow) shares this route with a candidate version: it runs every request instead. */
  readonly release?: ReleaseRoute | undefined;
}

/**
 * A route under release: chooses per request which version answers (canary) or
 * also mirrors it (shadow), and answers `c` as invoke() would. The control plane
 * implements it (controlplane/release/release.ts) with invokeVersion().
 */
export interface ReleaseRoute {
  invoke(input: unknown, opts: InvokeOptions, c: Completion<ExecResult, RequestError>): void;
}

/** A node's replicas as its router sees them: the pool that places and replaces them implements it. */
export interface NodeReplicas {
  readonly node: PlanNode;
  /** RUNNING replicas; asked on every call, so kept cheap. */
  running(): readonly Replica[];
  /** With nothing RUNNING: the 503 to answer at once when no replica can come soon, or undefined to queue for one. */
  unavailable(): RequestError | undefined;
  /** A call joined the queue (a node scaled to zero asks for a replica now). */
  queued(): void;
  /** Where a multiplexed node's models folder is resolved (the server's models directory). */
  readonly modelsDir?: string;
}
