/**
 * The fields Ray Serve's config file may hold, level by level, from Ray's
 * python/ray/serve/schema.py (ServeDeploySchema, ServeApplicationSchema,
 * DeploymentSchema, RayActorOptionsSchema) and config.py (AutoscalingConfig),
 * as in the vendored test/fixtures/schemas/ray-serve schema, plus deployment
 * options Ray added after it (read in Ray's config.py and test configs).
 * `beamline import` keeps a known field for export and names any other as left
 * out; a test checks these lists against the vendored schema.
 */

export const SERVE_CONFIG_FIELDS = ['applications', 'proxy_location', 'http_options', 'grpc_options', 'logging_config', 'target_capacity'] as const;

export const APPLICATION_FIELDS = ['name', 'route_prefix', 'import_path', 'runtime_env', 'args', 'deployments', 'logging_config', 'external_scaler_enabled', 'autoscaling_policy', 'host', 'port'] as const;

/** In the vendored schema (Ray 2.52). */
export const DEPLOYMENT_FIELDS = [
  'name',
  'num_replicas',
  'max_ongoing_requests',
  'max_queued_requests',
  'user_config',
  'autoscaling_config',
  'graceful_shutdown_wait_loop_s',
  'graceful_shutdown_timeout_s',
  'health_check_period_s',
  'health_check_timeout_s',
  'ray_actor_options',
  'placement_group_bundles',
  'placement_group_strategy',
  'max_replicas_per_node',
  'logging_config',
  'request_router_config',
] as const;

/** Deployment options of Ray releases newer than the vendored schema (DeploymentConfig in python/ray/serve/_private/config.py). */
export const NEWER_DEPLOYMENT_FIELDS = ['deployment_actors', 'gang_scheduling_config', 'max_constructor_retry_count', 'rolling_update_percentage'] as const;

export const RAY_ACTOR_OPTIONS_FIELDS = ['num_cpus', 'num_gpus', 'memory', 'resources', 'accelerator_type', 'runtime_env'] as const;

export const AUTOSCALING_FIELDS = [
  'min_replicas',
  'initial_replicas',
  'max_replicas',
  'target_ongoing_requests',
  'metrics_interval_s',
  'look_back_period_s',
  'smoothing_factor',
  'upscale_smoothing_factor',
  'downscale_smoothing_factor',
  'upscaling_factor',
  'downscaling_factor',
  'downscale_delay_s',
  'downscale_to_zero_delay_s',
  'upscale_delay_s',
  'aggregation_function',
  'policy',
] as const;

const has = (list: readonly string[]) => (k: string) => list.includes(k);
export const isServeConfigField = has(SERVE_CONFIG_FIELDS);
export const isApplicationField = has(APPLICATION_FIELDS);
export const isDeploymentField = has([...DEPLOYMENT_FIELDS, ...NEWER_DEPLOYMENT_FIELDS]);
