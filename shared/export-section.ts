import { z } from 'zod';

/**
 * The optional `export` section of a graph document: what `beamline import`
 * read from a Ray Serve config or a KubeRay RayService that the graph itself has
 * no field for, kept so `beamline export` writes it back (an imported cluster is
 * exported as it was, with the graph's edits). Beamline's runtime ignores it.
 * Values are Ray's and Kubernetes' own, written as they appeared (snake_case,
 * seconds, quantities); shared/ray-import.ts fills it, runtime/export reads it.
 */
const Options = z.record(z.string(), z.unknown());

export const RayExportSchema = z
  .object({
    serveConfig: Options.optional().describe(
      'Top-level Serve config fields other than applications (proxy_location, http_options, grpc_options, logging_config, target_capacity), written back as they are.',
    ),
    application: Options.optional().describe(
      "This graph's Serve application fields other than its deployments (name and route_prefix when the graph cannot hold them, import_path, args, runtime_env, logging_config, external_scaler_enabled, autoscaling_policy), written back over what export generates.",
    ),
    deployments: z
      .record(z.string(), Options)
      .optional()
      .describe(
        "By deployment name: Ray options of a Beamline node's deployment (or of the generated Ingress) that the graph has no setting for, or that were edited in the Serve config (max_replicas_per_node, logging_config, an Ingress num_replicas), written back over what export generates.",
      ),
    rayService: z
      .object({
        metadata: Options.optional().describe('name, namespace, labels and annotations of the RayService.'),
        spec: Options.optional().describe(
          'The RayService spec without serveConfigV2: rayClusterConfig (rayVersion, image, head and worker group templates, autoscalerOptions), upgradeStrategy and any other field. Export writes it back; --image, --ray-version, the worker shape flags and --upgrade-strategy override it.',
        ),
      })
      .strict()
      .optional()
      .describe('The KubeRay RayService the graph was imported from.'),
  })
  .strict()
  .describe('Ray Serve and KubeRay settings from an imported config, written back by beamline export.');

export const ExportSectionSchema = z
  .object({ ray: RayExportSchema.optional() })
  .strict()
  .describe('Settings for exporters, kept from an import; serving ignores them.');

export type RayExportSettings = z.output<typeof RayExportSchema>;
export type ExportSection = z.output<typeof ExportSectionSchema>;
