/**
 * Model multiplexing's names, alone in a zod-free module so the request path and
 * the replica threads read them without loading the schemas.
 */

/** A model id: one file-name segment of the models folder, never a path (no '/', '\', '..', NUL). */
export const MODEL_ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;

/** Ray Serve's header naming the model of a multiplexed request (serve.get_multiplexed_model_id()). */
export const MULTIPLEX_HEADER = 'serve_multiplexed_model_id';
