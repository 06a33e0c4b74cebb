"""Runs inline in the ingress: sends its input down one branch by weight (runtime/dataplane/inline/split.ts).

A sticky key (a request header or a dotted path into the request body) is hashed per branch with the
same bits as runtime/dataplane/inline/split-hash.ts (FNV-1a over UTF-8, murmur3's finaliser, weighted
rendezvous -w/ln(u)), so a key takes the same branch in Ray as in Beamline.
"""
import math
import random

_MASK = 0xFFFFFFFF


def fnv1a(s: str, seed: int = 0x811C9DC5) -> int:
    h = seed & _MASK
    for byte in s.encode("utf-8", "replace"):
        h = ((h ^ byte) * 0x01000193) & _MASK
    return h


def fmix32(x: int) -> int:
    h = x & _MASK
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


def rendezvous(key_hash: int, seeds: list, weights: list) -> int:
    """The index of the highest -w/ln(u) among weights > 0; ties go to the first branch."""
    best, best_score = -1, -1.0
    for i, w in enumerate(weights):
        if not w > 0:
            continue
        u = (fmix32(key_hash ^ seeds[i]) + 0.5) / 4294967296
        score = -w / math.log(u)
        if score > best_score:
            best, best_score = i, score
    return best


def sticky_key(v):
    """Strings as they are, integers and booleans as JSON writes them; anything else is no key."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v or None
    if isinstance(v, int) and abs(v) <= 2**53 - 1:
        return str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) <= 2**53 - 1:
        return str(int(v))
    return None


def _read_path(value, path: str):
    """A dotted path as runtime/dataplane/inline/switch-condition.ts reads it (objects only)."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _header(headers, name: str):
    if not headers:
        return None
    v = headers.get(name)
    if v is None and isinstance(headers, dict):  # a plain dict is not case-insensitive like Starlette's Headers
        v = next((x for k, x in headers.items() if k.lower() == name), None)
    return v or None


class SplitNode:
    # The ingress passes this node the request's body and headers (runner.py GraphRun.inline).
    reads_request = True

    def __init__(self, config: dict, ctx):
        branches = config.get("branches", [])
        self.ports = [b["port"] for b in branches]
        self.weights = [float(b["weight"]) for b in branches]
        self.seeds = [fnv1a(p) for p in self.ports]
        sticky = config.get("sticky") or {}
        self.header = sticky["header"].lower() if "header" in sticky else None
        self.path = sticky.get("path")

    def key(self, body, headers):
        if self.header is not None:
            return _header(headers, self.header)
        if self.path is None:
            return None
        return sticky_key(_read_path(body, self.path))

    def pick(self, body=None, headers=None) -> int:
        key = self.key(body, headers)
        if key is None:
            return random.choices(range(len(self.ports)), weights=self.weights)[0]
        return rendezvous(fnv1a(key), self.seeds, self.weights)

    async def call(self, inputs: dict, body=None, headers=None) -> dict:
        return {self.ports[self.pick(body, headers)]: inputs.get("in")}
