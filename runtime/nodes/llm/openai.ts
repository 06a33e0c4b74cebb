import { ModelConfigError } from '../../models/resolve.js';
import { readSecretEnv } from '../../security/secret-policy.js';
import type { NodeContext } from '../types.js';
import type { BackendFactory, LlmConfig } from './backend.js';
import { documentSources, fillTemplate } from './prompt.js';
import { StreamText } from './stream-text.js';

/** Reads `data:` lines of a server-sent event stream, event by event. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.search(/\r?\n\r?\n/);
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(buffer.indexOf('\n', end + (buffer[end] === '\r' ? 2 : 1)) + 1);
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
      end = buffer.search(/\r?\n\r?\n/);
    }
  }
}

/** The key, read only when the operator's policy allows the variable and the destination (again: deploy checks can be bypassed). */
function apiKey(cfg: LlmConfig, ctx: Pick<NodeContext, 'secrets'>): string | undefined {
  if (!cfg.apiKeyEnv) return undefined;
  const read = readSecretEnv(cfg.apiKeyEnv, cfg.baseUrl, ctx.secrets);
  if (!read.ok) throw new ModelConfigError(read.message, read.field === 'env' ? 'config.apiKeyEnv' : 'config.baseUrl');
  if (!read.value) throw new ModelConfigError(`environment variable ${cfg.apiKeyEnv} is not set`, 'config.apiKeyEnv');
  return read.value;
}

/**
 * Any OpenAI-compatible /chat/completions server (vLLM, Ollama, llama.cpp, OpenAI,
 * or a Beamline graph), streamed. The key is read from the environment at setup and
 * never logged or returned.
 */
export const openaiBackend: BackendFactory = async (cfg, ctx) => {
  if (!cfg.baseUrl) throw new ModelConfigError('the openai backend needs a base URL such as http://127.0.0.1:8000/v1', 'config.baseUrl');
  if (!cfg.model) throw new ModelConfigError('the openai backend needs the server\'s model name', 'config.model');
  const key = apiKey(cfg, ctx);
  const url = `${cfg.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const redact = (s: string) => (key ? s.split(key).join('***') : s);
  ctx.log(`openai backend: ${url} model ${cfg.model}${key ? ` (key from ${cfg.apiKeyEnv})` : ''}`);
  return {
    async generate({ question, documents, ctx: call }) {
      const messages = [
        ...(cfg.systemPrompt ? [{ role: 'system', content: cfg.systemPrompt }] : []),
        { role: 'user', content: fillTemplate(cfg.promptTemplate, question, documents) },
      ];
      const body = {
        model: cfg.model,
        messages,
        stream: true,
        max_tokens: cfg.maxTokens,
        temperature: cfg.temperature,
        top_p: cfg.topP,
        ...(cfg.seed !== undefined ? { seed: cfg.seed } : {}),
        ...(cfg.stop.length ? { stop: cfg.stop.slice(0, 4) } : {}),
      };
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify(body),
          // A redirect would carry the key past the pinned base URL.
          redirect: key ? 'error' : 'follow',
          signal: call.signal,
        });
      } catch (e) {
        throw new Error(`openai backend: cannot reach ${url}: ${redact((e as Error).message)}`);
      }
      if (!res.ok || !res.body) {
        const text = redact((await res.text().catch(() => '')).slice(0, 500));
        throw new Error(`openai backend: ${url} answered ${res.status}${text ? `: ${text}` : ''}`);
      }
      const out = new StreamText(cfg.stop, call.emitToken);
      if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
        // A server that ignores stream:true answers with one chat.completion object.
        const whole = (await res.json().catch(() => null)) as { choices?: { message?: { content?: string | null } }[] } | null;
        const content = whole?.choices?.[0]?.message?.content;
        if (typeof content !== 'string') throw new Error(`openai backend: ${url} answered neither an event stream nor a chat completion`);
        out.update(content);
        return { answer: out.finish(), sources: documentSources(documents) };
      }
      let text = '';
      for await (const data of sseData(res.body)) {
        if (data === '[DONE]') break;
        let chunk: { choices?: { delta?: { content?: string | null } }[]; error?: { message?: string } };
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new Error(`openai backend: ${url} sent an event that is not JSON: ${redact(data.slice(0, 200))}`);
        }
        if (chunk.error) throw new Error(`openai backend: ${url}: ${redact(chunk.error.message ?? 'error')}`);
        const piece = chunk.choices?.[0]?.delta?.content;
        if (!piece) continue;
        text += piece;
        out.update(text);
        if (out.stopped) break;
      }
      return { answer: out.finish(), sources: documentSources(documents) };
    },
  };
};
