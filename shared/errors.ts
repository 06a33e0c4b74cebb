/**
 * Errors are values: made once here, shown as they are by the CLI, the API and
 * the editor. `path` is a JSON path into the graph document ($.nodes[2].config.topK).
 */
export const ERROR_CODES = [
  /** A file named on the command line could not be read (the CLI, not the compiler). */
  'unreadable_file',
  'invalid_json',
  'invalid_document',
  /** A route prefix no request can reach (. .., //) or under the server's own routes (/api...). */
  'invalid_route_prefix',
  'wrong_version',
  'unknown_kind',
  'duplicate_id',
  'unknown_node',
  'unknown_port',
  'port_type_mismatch',
  'duplicate_edge',
  'port_taken',
  'cycle',
  'input_unconnected',
  'unreachable',
  'no_input',
  'no_output',
  'too_many_inputs',
  'too_many_outputs',
  'gpu_not_whole',
  'out_of_range',
  'invalid_config',
  'invalid_deployment',
  'min_above_max',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface GraphError {
  code: ErrorCode;
  message: string;
  /** JSON path of the offending field, e.g. $.nodes[1].deployment.resources.gpus */
  path: string;
  /** Node id the error belongs to, when there is one. */
  node?: string;
  /** What would fix it. */
  fix?: string;
}

export function jsonPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

/** One line for terminals and logs: `node embed at $.nodes[2].config.model: message (fix: ...)`. */
export function formatError(e: GraphError): string {
  const where = e.node ? `node ${e.node} at ${e.path}` : e.path;
  return `${where}: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}`;
}
