import { RequestError } from './errors.js';
import type { RouteTable, ServedGraph } from './interface.js';
import { invokeGraph } from './invoke.js';
import { ChatError, type ChatInvoker, type ChatMessage } from './openai-routes.js';

/** The graph's streaming node nearest its output: its tokens are the chat answer's. */
function streamingNode(dep: ServedGraph): string | undefined {
  return [...dep.plan.order].reverse().find((id) => dep.plan.nodes[id].streams);
}

/** The request body for the graph's input node: the last user message in every text field, the conversation in `messages`. */
function inputBody(dep: ServedGraph, messages: ChatMessage[]): Record<string, unknown> {
  const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const fields = (dep.plan.nodes[dep.plan.inputNode].config.fields ?? {}) as Record<string, string>;
  const body: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(fields)) {
    if (type === 'text' || type === 'any') body[name] = question;
    else if (name === 'messages') body[name] = messages;
  }
  return body;
}

/** The answer text from a graph output: a string, or {answer} / {text}, looked for one level down too. */
export function answerText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    for (const k of ['answer', 'text', 'content']) if (typeof o[k] === 'string') return o[k] as string;
    const values = Object.values(o);
    if (values.length === 1) return answerText(values[0]);
    for (const v of values) if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).answer === 'string') return answerText(v);
  }
  return JSON.stringify(output ?? null);
}

/** Serves the graphs that have a streaming (llm) node as chat models. */
export function graphChatInvoker(routes: RouteTable, opts: { requestTimeoutMs: number }): ChatInvoker {
  return {
    models: () =>
      routes
        .list()
        .filter((dep) => streamingNode(dep) !== undefined)
        .map((dep) => ({ id: dep.name, created: Math.floor(dep.deployedAt / 1000) })),
    async chat(model, messages, onToken, signal) {
      const dep = routes.get(model);
      const streamer = dep && streamingNode(dep);
      if (!dep || !streamer) throw new ChatError(404, `The model \`${model}\` does not exist`, 'invalid_request_error', 'model', 'model_not_found');
      try {
        const r = await invokeGraph(dep, inputBody(dep, messages), {
          timeoutMs: opts.requestTimeoutMs,
          signal,
          hooks: { onToken: (node, token) => node === streamer && onToken(token) },
        });
        return answerText(r.output);
      } catch (e) {
        if (!(e instanceof RequestError)) throw e;
        // 499: the client went away, nobody reads the answer.
        const status = e.status === 409 || e.status === 413 ? 400 : e.status === 499 ? 500 : e.status;
        throw new ChatError(status, e.extra.node ? `node ${e.extra.node}: ${e.message}` : e.message, status >= 500 ? 'server_error' : 'invalid_request_error', e.extra.path ?? null, e.extra.code ?? null);
      }
    },
  };
}
