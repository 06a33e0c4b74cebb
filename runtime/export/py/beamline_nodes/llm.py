"""A port of runtime/nodes/llm/*: extractive (embedding cosine + question-word overlap + "X is ..." bonus,
sentences in document order), openai (one chat completion through the openai package) and onnx (the
Optimum decoder layout with its KV cache, greedy or seeded top-k/top-p sampling)."""

import json
import os
import re

from .common import Embedding, NodeConfigError, NodeInputError, TextTokenizer, in_thread, model_file, open_session, resolve_model_dir

STOPWORDS = set(
    "a an and are as at be by can do does for from has have how i in is it its of on or that the this to was what when where which who why will with you your".split()
)
OVERLAP_WEIGHT = 0.5  # share of the question's content words found in a sentence, next to the cosine
DEFINITION_WEIGHT = 0.3  # bonus for "X is ..." when asked "What is X?"


def read_inputs(inputs: dict) -> tuple:
    question = inputs.get("prompt")
    if not isinstance(question, str):
        raise NodeInputError(f'input "prompt" must be a string, got {"null" if question is None else type(question).__name__}', "prompt")
    context = inputs.get("context")
    if context is None:
        return question, []
    if isinstance(context, str):
        return question, [{"text": context, "source": "context"}]
    if not isinstance(context, list):
        raise NodeInputError('input "context" must be an array of documents or a string', "context")
    docs = []
    for i, d in enumerate(context):
        if isinstance(d, str):
            docs.append({"text": d, "source": f"context[{i}]"})
        elif isinstance(d, dict) and isinstance(d.get("text"), str):
            docs.append(d)
        else:
            raise NodeInputError(f'input "context[{i}]" must be a document with a string "text"', f"context[{i}].text")
    return question, docs


def source_name(d: dict, i: int) -> str:
    for key in ("source", "id"):
        if d.get(key) is not None:
            return d[key]
    return f"context[{i}]"


def format_context(docs: list) -> str:
    return "\n\n".join(f"[{i + 1}] ({source_name(d, i)}) {d['text'].strip()}" for i, d in enumerate(docs))


def fill_template(template: str, question: str, docs: list) -> str:
    # One pass, so a question containing "{context}" stays literal.
    values = {"context": format_context(docs), "question": question}
    return re.sub(r"\{(context|question)\}", lambda m: values[m.group(1)], template)


def document_sources(docs: list) -> list:
    best: dict = {}
    for i, d in enumerate(docs):
        s = source_name(d, i)
        score = d["score"] if isinstance(d.get("score"), (int, float)) else 0
        best[s] = max(best.get(s, float("-inf")), score)
    return sorted(({"source": s, "score": v} for s, v in best.items()), key=lambda x: -x["score"])


def definition_test(question: str):
    m = re.match(r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\?*\s*$", question, re.I)
    if not m:
        return None
    rx = re.compile(r"^(?:an?\s+|the\s+)?" + re.escape(m.group(1)) + r"\s+(?:is|are|was|were)\b", re.I)
    return lambda sentence: bool(rx.match(sentence))


def split_sentences(text: str, min_words: int = 3) -> list:
    """Sentences of a document, markdown markers stripped, fragments under min_words dropped."""
    out = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[#>*-]|\d+\.)\s)", text):
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", re.sub(r"\s+", " ", block)):
            s = re.sub(r"^\s*(?:#+|>|[*-]|\d+\.)\s+", "", s).strip()
            if len(re.split(r"\s+", s)) >= min_words:
                out.append(s)
    return out


def content_words(text: str) -> set:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 1 and w not in STOPWORDS}


class Extractive:
    """Not a language model: the context sentences most like the question, in document order."""

    def __init__(self, config: dict, ctx):
        folder = resolve_model_dir(config.get("model") or "builtin:glove-100d", ctx)
        self.embedding = Embedding(folder, ctx)
        self.max_sentences = config.get("maxSentences", 3)

    def generate(self, question: str, docs: list) -> dict:
        def split(min_words):
            return [(text, doc, pos) for doc, d in enumerate(docs) for pos, text in enumerate(split_sentences(d["text"], min_words))]

        # Short fragments (OCR lines, headings) count only when there is nothing longer.
        sentences = split(3) or split(1)
        if not sentences:
            return {"answer": "The context holds no sentences to answer from.", "sources": []}
        vectors = self.embedding.embed([question] + [s[0] for s in sentences])
        q, vs = vectors[0], vectors[1:]
        asked = content_words(question)
        defines = definition_test(question)
        scored = []
        for i, (text, doc, pos) in enumerate(sentences):
            words = content_words(text)
            overlap = len([w for w in asked if w in words]) / len(asked) if asked else 0
            score = float(q @ vs[i]) + OVERLAP_WEIGHT * overlap + (DEFINITION_WEIGHT if defines and defines(text) else 0)
            scored.append((score, text, doc, pos))
        picked = sorted(scored, key=lambda s: -s[0])[: self.max_sentences]  # stable, as in JavaScript
        picked.sort(key=lambda s: (s[2], s[3]))
        best: dict = {}
        for score, _, doc, _ in picked:
            name = source_name(docs[doc], doc)
            best[name] = max(best.get(name, float("-inf")), score)
        sources = sorted(({"source": s, "score": round(v * 1e4) / 1e4} for s, v in best.items()), key=lambda x: -x["score"])
        return {"answer": " ".join(s[1] for s in picked), "sources": sources}


class OpenAIChat:
    def __init__(self, config: dict, ctx):
        from openai import AsyncOpenAI

        if not config.get("baseUrl"):
            raise NodeConfigError("config.baseUrl: the openai backend needs a base URL such as http://127.0.0.1:8000/v1")
        if not config.get("model"):
            raise NodeConfigError("config.model: the openai backend needs the server's model name")
        key_env = config.get("apiKeyEnv")
        if key_env and not os.environ.get(key_env):
            raise NodeConfigError(f"config.apiKeyEnv: environment variable {key_env} is not set")
        self.client = AsyncOpenAI(base_url=config["baseUrl"].rstrip("/"), api_key=os.environ[key_env] if key_env else "not-needed")
        self.config = config

    async def generate(self, question: str, docs: list) -> dict:
        c = self.config
        messages = ([{"role": "system", "content": c["systemPrompt"]}] if c.get("systemPrompt") else []) + [
            {"role": "user", "content": fill_template(c.get("promptTemplate", "{question}"), question, docs)}
        ]
        extra = {k: v for k, v in (("stop", (c.get("stop") or [])[:4]), ("seed", c.get("seed"))) if v}
        res = await self.client.chat.completions.create(
            model=c["model"], messages=messages, max_tokens=c.get("maxTokens", 256), temperature=c.get("temperature", 0), top_p=c.get("topP", 1), **extra
        )
        text = res.choices[0].message.content or ""
        for s in c.get("stop") or []:
            if s and s in text:
                text = text[: text.index(s)]
        return {"answer": text, "sources": document_sources(docs)}


def _read_json(path: str) -> dict:
    try:
        return json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class Mulberry32:
    """The TypeScript node's seeded PRNG, so a seed means the same thing in both."""

    def __init__(self, seed: int):
        self.a = seed & 0xFFFFFFFF

    def __call__(self) -> float:
        self.a = (self.a + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.a
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296


def _imul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFF


def pick_token(logits, config: dict, random) -> int:
    import numpy as np

    t = config.get("temperature", 0)
    if t <= 0:
        return int(np.argmax(logits))
    ids = sorted(range(len(logits)), key=lambda i: -float(logits[i]))
    if config.get("topK", 0) > 0:
        ids = ids[: config["topK"]]
    top = float(logits[ids[0]])
    probs = [np.exp((float(logits[i]) - top) / t) for i in ids]
    total = sum(probs)
    probs = [p / total for p in probs]
    if config.get("topP", 1) < 1:
        mass, keep = 0.0, 0
        while keep < len(probs) and mass < config["topP"]:
            mass += probs[keep]
            keep += 1
        ids, probs = ids[: max(1, keep)], probs[: max(1, keep)]
        total = sum(probs)
        probs = [p / total for p in probs]
    r = random()
    for i, p in zip(ids, probs):
        r -= p
        if r <= 0:
            return i
    return ids[-1]


class OnnxDecoder:
    """A causal LM in the Hugging Face / Optimum decoder layout: the prompt once, then one token per step with the KV cache."""

    def __init__(self, config: dict, ctx):
        if not config.get("model"):
            raise NodeConfigError("config.model: the onnx backend needs a model folder (model.onnx + tokenizer.json)")
        folder = resolve_model_dir(config["model"], ctx)
        self.tokenizer = TextTokenizer(folder)
        self.session = open_session(model_file(folder, "model.onnx"), ctx)
        self.config = config
        model_cfg = _read_json(os.path.join(folder, "config.json"))
        self.inputs = [m.name for m in self.session.get_inputs()]
        self.past = [m for m in self.session.get_inputs() if m.name.startswith("past_key_values.")]
        heads = next((m.shape[1] for m in self.past if isinstance(m.shape[1], int)), None) or model_cfg.get("num_key_value_heads") or model_cfg.get("num_attention_heads")
        head_dim = next((m.shape[3] for m in self.past if isinstance(m.shape[3], int)), None) or model_cfg.get("head_dim")
        if not heads or not head_dim:
            raise NodeConfigError("config.model: cannot tell the KV cache shape from the model inputs or config.json")
        self.cache_shape = (1, heads, 0, head_dim)
        self.eos = set()
        for c in (model_cfg, _read_json(os.path.join(folder, "generation_config.json"))):
            e = c.get("eos_token_id")
            self.eos.update(x for x in (e if isinstance(e, list) else [e]) if isinstance(x, int))
        eos_token = _read_json(os.path.join(folder, "tokenizer_config.json")).get("eos_token")
        if isinstance(eos_token, str) and self.tokenizer.id_of(eos_token) is not None:
            self.eos.add(self.tokenizer.id_of(eos_token))
        self.max_positions = model_cfg.get("max_position_embeddings") or float("inf")

    def generate_text(self, prompt_text: str) -> str:
        import numpy as np

        c = self.config
        ids = list(self.tokenizer.tokenizer.encode(prompt_text).ids)
        keep_max = int(max(1, min(self.max_positions - 1, 1_000_000)))
        if len(ids) > keep_max:
            keep = max(1, keep_max - self.tokenizer.prefix)
            ids = ids[: self.tokenizer.prefix] + ids[len(ids) - keep :]
        anchor = ids[-1:]
        anchor_text = self.tokenizer.decode(anchor)
        seed = c.get("seed")
        random = Mulberry32(seed if seed is not None else int.from_bytes(os.urandom(4), "little"))
        past = {m.name: np.zeros(self.cache_shape, dtype=np.float32) for m in self.past}
        past_len, generated, text, step_ids = 0, [], "", ids
        while len(generated) < c.get("maxTokens", 256) and past_len + len(step_ids) <= self.max_positions:
            n = len(step_ids)
            feed = {"input_ids": np.array([step_ids], dtype=np.int64), **past}
            if "attention_mask" in self.inputs:
                feed["attention_mask"] = np.ones((1, past_len + n), dtype=np.int64)
            if "position_ids" in self.inputs:
                feed["position_ids"] = np.arange(past_len, past_len + n, dtype=np.int64)[None, :]
            if "use_cache_branch" in self.inputs:
                feed["use_cache_branch"] = np.array([past_len > 0])
            names = [o.name for o in self.session.get_outputs()]
            out = dict(zip(names, self.session.run(None, feed)))
            past_len += n
            past = {k: out[k.replace("past_key_values.", "present.")] for k in past}
            token = pick_token(out["logits"][0, -1].astype(np.float32), c, random)
            if token in self.eos:
                break
            generated.append(token)
            # Decoding behind the prompt's last token keeps the first generated token's leading space.
            text = self.tokenizer.decode(anchor + generated)[len(anchor_text) :].lstrip()
            stop = next((s for s in c.get("stop") or [] if s and s in text), None)
            if stop is not None:
                return text[: text.index(stop)]
            step_ids = [token]
        return text

    def generate(self, question: str, docs: list) -> dict:
        prompt = fill_template(self.config.get("promptTemplate", "{question}"), question, docs)
        return {"answer": self.generate_text(prompt), "sources": document_sources(docs)}


class LlmNode:
    def __init__(self, config: dict, ctx):
        self.backend = config.get("backend", "extractive")
        self.impl = {"extractive": Extractive, "openai": OpenAIChat, "onnx": OnnxDecoder}[self.backend](config, ctx)

    async def call(self, inputs: dict) -> dict:
        question, docs = read_inputs(inputs)
        if self.backend == "openai":
            r = await self.impl.generate(question, docs)
        else:
            r = await in_thread(self.impl.generate, question, docs)
        result = {"answer": r["answer"], "sources": r["sources"], "backend": self.backend}
        return {"result": result, "text": r["answer"]}
