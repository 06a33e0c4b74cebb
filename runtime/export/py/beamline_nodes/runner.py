"""Deployment base classes of a Beamline Ray Serve app. Written by beamline export.

NodeDeployment wraps one node class as a Serve deployment (config via user_config/reconfigure);
GraphIngress takes the HTTP request and GraphRun moves values along the graph's edges, one task per
node started as soon as its upstream nodes are done, with per-call timeouts and retries.
"""
import asyncio
import subprocess
import time
import uuid

import ray
from ray import serve
from ray.exceptions import RayActorError
from starlette.responses import JSONResponse

from .common import NodeInputError, node_context
from .multiplex import MULTIPLEX_HEADER, BadModelId, UnknownModelError, request_model_id

try:  # Ray >= 2.10 raises this when max_queued_requests is exceeded.
    from ray.serve.exceptions import BackPressureError
except ImportError:  # pragma: no cover
    class BackPressureError(Exception):
        pass


SKIPPED = object()
UNSET = object()


class NodeDeployment:
    """One graph node as a Serve deployment. Its settings come from user_config["beamline"]."""

    graph = ""
    node_id = ""
    node_class = None
    defaults: dict = {}
    # A multiplexed node's model field: no model at start, each request's model loads through get_model.
    multiplex_field = None

    def __init__(self):
        self.node = None
        self.settings: dict = {}
        self.reconfigure({"beamline": self.defaults})

    def reconfigure(self, user_config: dict) -> None:
        settings = (user_config or {}).get("beamline") or self.defaults
        # Reload the model only when the node's config changed, not for batching or label edits.
        if self.multiplex_field is None and (self.node is None or settings.get("config") != self.settings.get("config")):
            self.node = self.node_class(settings.get("config", {}), self.context(settings))
        self.settings = settings
        batching = settings.get("batching")
        if batching and hasattr(self, "batched"):
            self.batched.set_max_batch_size(batching["maxBatchSize"])
            self.batched.set_batch_wait_timeout_s(batching["batchWaitTimeoutMs"] / 1000)

    def context(self, settings: dict):
        gpu_ids = ray.get_gpu_ids()
        memory = (settings.get("gpuMemoryMb") or _share_of_card_mb(gpu_ids[0])) if gpu_ids else None
        return node_context(self.graph, self.node_id, settings.get("kind", ""), 1.0 if gpu_ids else 0.0, memory)

    def check_health(self) -> None:
        health = getattr(self.node, "health", None)
        if health is not None:
            health()


def _share_of_card_mb(gpu_id):
    """A fractional replica's share of its card's memory, bounding ONNX Runtime's CUDA arena as Beamline does."""
    try:
        share = ray.get_runtime_context().get_assigned_resources().get("GPU", 0)
        if not 0 < share < 1:
            return None
        out = subprocess.check_output(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits", "-i", str(gpu_id)], timeout=10)
        return int(share * int(out.split()[0]))
    except Exception:  # noqa: BLE001 - no limit is the safe fallback
        return None


def raise_if_error(result):
    if isinstance(result, Exception):
        raise result
    return result


class NodeFailed(Exception):
    def __init__(self, node: str, status: int, message: str, path=None, code=None):
        super().__init__(message)
        self.node, self.status, self.path, self.code = node, status, path, code


class GraphRun:
    """One request's values: outputs[node][port]; a node whose inputs were not produced is skipped."""

    def __init__(self, ingress: "GraphIngress", body, headers=None):
        self.ingress = ingress
        self.body = body
        self.headers = headers or {}
        self.outputs: dict = {}
        self.trace: list = []
        self.tasks: dict = {}
        self.started = time.monotonic()

    def start(self, node: str, step, *upstream: str) -> None:
        """The node's task: step(node) runs once every upstream node is done, not once a whole stage is."""
        after = [self.tasks[u] for u in upstream]
        self.tasks[node] = asyncio.ensure_future(self._after(after, step, node))

    @staticmethod
    async def _after(after: list, step, node: str) -> None:
        for task in after:
            await task  # an upstream failure ends this task with the same NodeFailed
        await step(node)

    async def finish(self) -> None:
        """Waits for every node; the first failure cancels the nodes still running and ends the request naming its node."""
        tasks = list(self.tasks.values())
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:  # the request went away
            for task in tasks:
                task.cancel()
            raise
        failed = next((t for t in tasks if t in done and not t.cancelled() and t.exception() is not None), None)
        if failed is None:
            return
        for task in tasks:
            task.cancel()
        # Collect every outcome so no task's exception goes unretrieved.
        await asyncio.gather(*tasks, return_exceptions=True)
        raise failed.exception()

    def inputs_of(self, node: str):
        """Values on a node's input ports, or None when a required one never arrived (branch not taken)."""
        edges = [e for e in self.ingress.edges if e[2] == node]
        if not edges:
            return {}
        inputs: dict = {}
        for name, required, multiple in self.ingress.input_ports.get(node, []):
            got = UNSET
            for source, port, _, target_port in edges:
                out = self.outputs.get(source)
                if target_port != name or not isinstance(out, dict) or port not in out:
                    continue
                if multiple:
                    got = {} if got is UNSET else got
                    got[source] = out[port]
                else:
                    got = out[port]
            if got is UNSET:
                if required:
                    return None
                continue
            inputs[name] = got
        return inputs or None

    def _span(self, node: str, start: float, status: str) -> None:
        self.trace.append({"node": node, "start": round((start - self.started) * 1000, 3), "end": round((time.monotonic() - self.started) * 1000, 3), "status": status})

    async def inline(self, node: str) -> None:
        """input, switch, split and output run inside the ingress, as in Beamline's executor."""
        start = time.monotonic()
        inputs = {"body": self.body} if node == self.ingress.input_node else self.inputs_of(node)
        if inputs is None:
            self.outputs[node] = SKIPPED
            return self._span(node, start, "skipped")
        inline = self.ingress.inline_nodes[node]
        # A split reads its sticky key from the request (a header or a body field).
        extra = {"body": self.body, "headers": self.headers} if getattr(inline, "reads_request", False) else {}
        try:
            self.outputs[node] = await inline.call(inputs, **extra)
        except NodeInputError as e:
            raise NodeFailed(node, 400, str(e), e.field, "bad_input")
        self._span(node, start, "ok")

    async def call(self, node: str) -> None:
        """One handle call to a node's deployment, with its timeout and retries on replica death."""
        start = time.monotonic()
        inputs = self.inputs_of(node)
        if inputs is None:
            self.outputs[node] = SKIPPED
            return self._span(node, start, "skipped")
        limits = self.ingress.calls.get(node, {})
        timeout = limits.get("timeoutMs", 30000) / 1000
        attempts = 1 + limits.get("retries", 1)
        handle = self.ingress.handles[node]
        if limits.get("multiplex") is not None:
            # Ray's proxy hands the ingress the header as its own multiplexed model id.
            header = serve.get_multiplexed_model_id() or self.headers.get(MULTIPLEX_HEADER)
            try:
                handle = handle.options(multiplexed_model_id=request_model_id(node, limits["multiplex"], header, self.body))
            except BadModelId as e:
                self._span(node, start, "error")
                raise NodeFailed(node, 400, str(e), e.path, e.code)
        for attempt in range(attempts):
            response = handle.call.remote(inputs)
            try:
                self.outputs[node] = await asyncio.wait_for(_wait(response), timeout)
                return self._span(node, start, "ok")
            except asyncio.CancelledError:  # another node failed: this call's answer is no longer needed
                response.cancel()
                raise
            except asyncio.TimeoutError:
                response.cancel()
                self._span(node, start, "error")
                raise NodeFailed(node, 504, f"node {node} took longer than {timeout:g} s", code="timeout")
            except UnknownModelError as e:
                self._span(node, start, "error")
                raise NodeFailed(node, 404, str(_cause(e)), code="unknown_model")
            except NodeInputError as e:
                self._span(node, start, "error")
                cause = _cause(e)
                raise NodeFailed(node, 400, f"node {node}: {cause}", getattr(cause, "field", None), "bad_input")
            except BackPressureError as e:
                self._span(node, start, "error")
                raise NodeFailed(node, 503, f"node {node} is overloaded: {e}", code="overloaded")
            except RayActorError as e:
                if attempt + 1 < attempts:
                    continue
                self._span(node, start, "error")
                raise NodeFailed(node, 503, f"node {node}: replica died ({e})", code="node_unavailable")
            except Exception as e:  # noqa: BLE001 - any node failure becomes a 500 naming the node
                self._span(node, start, "error")
                raise NodeFailed(node, 500, f"node {node} failed: {_cause(e)}")

    def response(self):
        outs = self.ingress.output_nodes
        values = {o: self.outputs[o]["value"] for o in outs if isinstance(self.outputs.get(o), dict) and self.outputs[o].get("value") is not None}
        if self.ingress.multiple_outputs:
            return values
        return values.get(outs[0])


async def _wait(response):
    return await response


def _cause(e: Exception) -> Exception:
    """Ray raises a replica's exception as a RayTaskError subclass of it; .cause is the original, without the traceback text."""
    return getattr(e, "cause", None) or e


class GraphIngress:
    """The HTTP entry: JSON body in, the output node's value out; errors name the node."""

    graph = ""
    input_node = ""
    output_nodes: list = []
    multiple_outputs = False
    edges: list = []
    input_ports: dict = {}
    inline_classes: dict = {}
    defaults: dict = {}

    def __init__(self, handles: dict):
        self.handles = handles
        self.inline_nodes: dict = {}
        self.calls: dict = {}
        self.reconfigure({"beamline": self.defaults})

    def reconfigure(self, user_config: dict) -> None:
        settings = (user_config or {}).get("beamline") or self.defaults
        self.calls = settings.get("calls", {})
        self.inline_nodes = {}
        for n in settings.get("nodes", []):
            node = self.inline_classes[n["id"]](n.get("config", {}), node_context(self.graph, n["id"], n["kind"]))
            node.incoming = sum(1 for e in self.edges if e[2] == n["id"])  # the output node returns one value or a join
            self.inline_nodes[n["id"]] = node

    async def run(self, run: GraphRun) -> None:  # generated per graph
        raise NotImplementedError

    async def execute(self, body, headers=None):
        run = GraphRun(self, body, headers)
        await self.run(run)
        return run

    async def __call__(self, request):
        """POST body in, the output's value out; ?trace=1 answers {requestId, output, trace} as Beamline does."""
        headers = getattr(request, "headers", {}) or {}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        try:
            body = await request.json()
        except ValueError as e:
            return JSONResponse({"error": f"request body is not valid JSON: {e}", "path": "$", "code": "invalid_json", "requestId": request_id}, status_code=400)
        try:
            run = await self.execute(body, headers)
        except NodeFailed as e:
            payload = {"error": str(e), "node": e.node, "requestId": request_id}
            if e.path:
                payload["path"] = e.path
            if e.code:
                payload["code"] = e.code
            return JSONResponse(payload, status_code=e.status)
        traced = (getattr(request, "query_params", {}) or {}).get("trace") in ("1", "true")
        output = run.response()
        return JSONResponse({"requestId": request_id, "output": output, "trace": run.trace} if traced else output, headers={"x-request-id": request_id})
