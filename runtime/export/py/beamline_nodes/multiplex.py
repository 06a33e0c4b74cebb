"""Model multiplexing (Ray Serve's @serve.multiplexed). Written by beamline export; edit the graph, not this file.

The ingress names each call's model (the serve_multiplexed_model_id header, else the node's body
field, as Beamline does) and passes it with handle.options(multiplexed_model_id=...), so Ray routes
the call to a replica that holds the model. The node's deployment loads it through its
@serve.multiplexed get_model, which keeps max_num_models_per_replica models per replica and evicts
the least recently used, and reads the id back with serve.get_multiplexed_model_id().
"""
import os
import re

MULTIPLEX_HEADER = "serve_multiplexed_model_id"
# One file-name segment of the models folder, never a path (shared/multiplex.ts).
MODEL_ID = re.compile(r"^(?!\.\.?$)[A-Za-z0-9._-]{1,128}\Z")


class BadModelId(ValueError):
    """A request whose model id is missing, not a string or not a plain name: 400 naming where it came from."""

    def __init__(self, message: str, code: str, path=None):
        super().__init__(message)
        self.code, self.path = code, path


class UnknownModelError(LookupError):
    """A model id the node's models folder does not hold: 404 naming it."""

    def __init__(self, message: str, model_id: str):
        super().__init__(message)
        self.model_id = model_id

    def __reduce__(self):
        # Ray pickles it from the replica to the caller; keep the id.
        return (type(self), (str(self), self.model_id))


def request_model_id(node: str, multiplex: dict, header, body) -> str:
    """The model a request names for a multiplexed node: the header first, then the body field idField."""
    model_id, where, path = header or "", f"the {MULTIPLEX_HEADER} header", None
    field = multiplex.get("idField")
    if not model_id and field and isinstance(body, dict) and field in body:
        model_id, path = body[field], f"$.{field}"
        where = f"field {path}"
        if not isinstance(model_id, str):
            raise BadModelId(f"node {node}: {path} must be a model id (a string)", "invalid_model_id", path)
    if not model_id:
        also = f" or the body field $.{field}" if field else ""
        raise BadModelId(f"node {node} serves many models: name one in the {MULTIPLEX_HEADER} header{also}", "missing_model_id", f"$.{field}" if field else None)
    if not MODEL_ID.match(model_id):
        raise BadModelId(f"node {node}: model id {model_id[:80]!r} from {where} is not a model name (letters, digits, '.', '_' and '-', at most 128; never a path)", "invalid_model_id", path)
    return model_id


def load_model(deployment, model_id: str):
    """One model of a multiplexed node: <models>/<modelsFolder>/<model_id>, loaded into the kind's model field."""
    settings = deployment.settings
    folder = (settings.get("multiplex") or {}).get("modelsFolder", "").rstrip("/")
    ctx = deployment.context(settings)
    if not MODEL_ID.match(model_id or "") or not os.path.isdir(os.path.join(ctx.models_dir, folder, model_id)):
        raise UnknownModelError(f'node {deployment.node_id}: no model "{model_id}" in models folder "{folder}"', model_id)
    config = dict(settings.get("config", {}))
    config[deployment.multiplex_field] = f"{folder}/{model_id}"
    return deployment.node_class(config, ctx)


async def batch_by_model(items: list) -> list:
    """A batch of (node, inputs) may mix models: each model's calls go to its own batch(), answers in order."""
    groups: dict = {}
    for i, (node, _) in enumerate(items):
        groups.setdefault(id(node), (node, []))[1].append(i)
    out: list = [None] * len(items)
    for node, idx in groups.values():
        results = await node.batch([items[i][1] for i in idx])
        for i, r in zip(idx, results):
            out[i] = r
    return out
