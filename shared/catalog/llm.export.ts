import type { ExportTemplate } from './export-template.js';

/**
 * extractive: the same sentence picking as the TypeScript node; openai: any
 * /v1/chat/completions server through the openai package; onnx: a Hugging Face /
 * Optimum decoder with its KV cache, decoded greedily or sampled.
 */
export const llmExport: ExportTemplate = {
  kind: 'llm',
  module: 'llm',
  className: 'LlmNode',
  requirements: ['numpy', 'openai', 'onnxruntime', 'tokenizers'],
  uses: ['preprocessor'],
  models: (c) => (c.backend === 'onnx' && typeof c.model === 'string' ? [c.model] : []),
  notes: (c) => ['llm: the exported node answers in one response; token streaming (socket.io in Beamline) is not exported', ...(c.backend === 'openai' ? [`llm: set the ${String(c.apiKeyEnv ?? 'API key')} environment variable on the Ray pods (a Kubernetes Secret)`] : [])],
  source: String.raw`import os
import re

from .common import NodeConfigError, NodeInputError, TextTokenizer, documents_input, in_thread, model_file, open_session, resolve_model_dir, text_input
from .preprocessor import sentence_spans

_WORD = re.compile(r"[\w']+", re.UNICODE)
STOPWORDS = set(
    "a an and are as at be but by for from has have how i in is it its of on or that the this to was what when where which who why will with you your do does did can".split()
)


def words(text: str) -> set:
    return {w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in STOPWORDS}


def format_context(docs: list) -> str:
    return "\n\n".join(f"[{i + 1}] {d['text']}" for i, d in enumerate(docs))


def sources_of(docs: list) -> list:
    seen = []
    for d in docs:
        s = d.get("source")
        if s is not None and s not in seen:
            seen.append(s)
    return seen


class Extractive:
    """Not a language model: answers with the context sentences sharing the most words with the question."""

    def __init__(self, config: dict):
        self.max_sentences = config.get("maxSentences", 3)

    def answer(self, question: str, docs: list) -> dict:
        q = words(question)
        scored = []
        for rank, d in enumerate(docs):
            for s, e in sentence_spans(d["text"]):
                sentence = d["text"][s:e]
                w = words(sentence)
                overlap = len(q & w)
                if overlap:
                    scored.append((overlap / (len(w) ** 0.5), -rank, -s, sentence, d))
        scored.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
        best = scored[: self.max_sentences]
        if not best:
            return {"answer": "The context does not contain the answer.", "sources": []}
        # Read back in document order so the answer flows.
        best.sort(key=lambda x: (-x[1], -x[2]))
        return {"answer": " ".join(x[3] for x in best), "sources": sources_of([x[4] for x in best])}


class OpenAIChat:
    def __init__(self, config: dict):
        from openai import AsyncOpenAI

        if not config.get("model") or not config.get("baseUrl"):
            raise NodeConfigError("config.model and config.baseUrl are required for the openai backend")
        key_env = config.get("apiKeyEnv")
        self.client = AsyncOpenAI(base_url=config["baseUrl"], api_key=os.environ.get(key_env, "") if key_env else "not-needed")
        self.config = config

    async def answer(self, messages: list) -> str:
        c = self.config
        extra = {"stop": c["stop"]} if c.get("stop") else {}
        res = await self.client.chat.completions.create(
            model=c["model"], messages=messages, max_tokens=c.get("maxTokens", 256), temperature=c.get("temperature", 0), top_p=c.get("topP", 1), **extra
        )
        return res.choices[0].message.content or ""


class OnnxDecoder:
    """Causal LM in the Optimum decoder layout: input_ids, attention_mask, position_ids, past_key_values.N.*."""

    def __init__(self, config: dict, ctx):
        if not config.get("model"):
            raise NodeConfigError("config.model is required for the onnx backend")
        folder = resolve_model_dir(config["model"], ctx)
        self.tokenizer = TextTokenizer(folder)
        self.session = open_session(model_file(folder, "model.onnx"), ctx)
        self.config = config
        self.past = [m for m in self.session.get_inputs() if m.name.startswith("past_key_values.")]
        self.eos = {i for i in (self.tokenizer.id_of("</s>"), self.tokenizer.id_of("<s>"), self.tokenizer.id_of("<|endoftext|>")) if i is not None}

    def next_token(self, logits, rng) -> int:
        import numpy as np

        c = self.config
        t = c.get("temperature", 0)
        if t <= 0:
            return int(np.argmax(logits))
        z = logits.astype(np.float64) / t
        order = np.argsort(-z)
        if c.get("topK", 0) > 0:
            order = order[: c["topK"]]
        p = np.exp(z[order] - z[order[0]])
        p /= p.sum()
        if c.get("topP", 1) < 1:
            keep = int(np.searchsorted(np.cumsum(p), c["topP"]) + 1)
            order, p = order[:keep], p[:keep] / p[:keep].sum()
        return int(rng.choice(order, p=p))

    def generate(self, prompt: str) -> str:
        import numpy as np

        c = self.config
        ids, _ = self.tokenizer.encode(prompt, 1 << 30)
        feed_ids = np.array([ids], dtype=np.int64)
        past = {m.name: np.zeros((1, m.shape[1], 0, m.shape[3]), dtype=np.float32) for m in self.past}
        total, out, rng = 0, [], np.random.default_rng()
        for _ in range(c.get("maxTokens", 256)):
            seq = feed_ids.shape[1]
            feed = {
                "input_ids": feed_ids,
                "attention_mask": np.ones((1, total + seq), dtype=np.int64),
                "position_ids": np.arange(total, total + seq, dtype=np.int64)[None, :],
                **past,
            }
            names = [o.name for o in self.session.get_outputs()]
            results = dict(zip(names, self.session.run(None, feed)))
            total += seq
            past = {k: results[k.replace("past_key_values.", "present.")] for k in past}
            token = self.next_token(results["logits"][0, -1], rng)
            if token in self.eos:
                break
            out.append(token)
            text = self.tokenizer.decode(out)
            stop = next((s for s in c.get("stop", []) if s in text), None)
            if stop is not None:
                return text[: text.index(stop)]
            feed_ids = np.array([[token]], dtype=np.int64)
        return self.tokenizer.decode(out)


class LlmNode:
    def __init__(self, config: dict, ctx):
        self.config = config
        self.backend = config.get("backend", "extractive")
        if self.backend == "extractive":
            self.impl = Extractive(config)
        elif self.backend == "openai":
            self.impl = OpenAIChat(config)
        else:
            self.impl = OnnxDecoder(config, ctx)

    def prompt(self, question: str, docs: list) -> str:
        template = self.config.get("promptTemplate", "Context:\n{context}\n\nQuestion: {question}")
        return template.replace("{context}", format_context(docs)).replace("{question}", question)

    async def call(self, inputs: dict) -> dict:
        question = text_input(inputs, "prompt")
        docs = documents_input(inputs, "context")
        if self.backend == "extractive":
            result = self.impl.answer(question, docs)
        elif self.backend == "openai":
            messages = [{"role": "system", "content": self.config.get("systemPrompt", "")}, {"role": "user", "content": self.prompt(question, docs)}]
            result = {"answer": await self.impl.answer(messages), "sources": sources_of(docs)}
        else:
            result = {"answer": await in_thread(self.impl.generate, self.prompt(question, docs)), "sources": sources_of(docs)}
        result["backend"] = self.backend
        return {"result": result, "text": result["answer"]}
`,
};
