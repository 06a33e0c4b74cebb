import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';

/** A graph offered as a model: its name is the model id. */
export interface ChatModel {
  id: string;
  /** Unix seconds. */
  created: number;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** What the routes need from the runtime: the graphs with a streaming node, and a way to run one. */
export interface ChatInvoker {
  models(): ChatModel[];
  /** Runs graph `model` on the conversation, sending its streaming node's tokens to onToken; resolves to the answer text. */
  chat(model: string, messages: ChatMessage[], onToken: (token: string) => void, signal: AbortSignal): Promise<string>;
}

/** An error with an HTTP status in the OpenAI error body format. */
export class ChatError extends Error {
  constructor(
    readonly status: 400 | 404 | 500 | 503 | 504,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const Part = z.object({ type: z.literal('text'), text: z.string() }).loose();
const Body = z
  .object({
    model: z.string().min(1),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
            content: z.union([z.string(), z.array(Part), z.null()]).optional(),
          })
          .loose(),
      )
      .min(1),
    stream: z.boolean().optional(),
  })
  .loose();

function parseBody(raw: unknown): { model: string; messages: ChatMessage[]; stream: boolean } {
  const r = Body.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const param = i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('');
    throw new ChatError(400, `${param || 'body'}: ${i.message}`, 'invalid_request_error', param || null);
  }
  const messages = r.data.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join(''),
  }));
  return { model: r.data.model, messages, stream: r.data.stream ?? false };
}

/**
 * POST /v1/chat/completions (plain JSON, or server-sent events with stream:true, in
 * OpenAI's chunk format) and GET /v1/models, so any OpenAI client can call a graph.
 */
export function openaiRoutes(invoker: ChatInvoker): Hono {
  const app = new Hono();
  const fail = (e: unknown) => {
    const err = e instanceof ChatError ? e : new ChatError(500, e instanceof Error ? e.message : String(e), 'server_error');
    return new Response(JSON.stringify(err.body()), { status: err.status, headers: { 'content-type': 'application/json' } });
  };

  app.get('/v1/models', (c) => c.json({ object: 'list', data: invoker.models().map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'beamline' })) }));

  app.post('/v1/chat/completions', async (c) => {
    let req: ReturnType<typeof parseBody>;
    try {
      const text = await c.req.text();
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw new ChatError(400, `request body is not valid JSON: ${(e as Error).message}`);
      }
      req = parseBody(raw);
      if (!invoker.models().some((m) => m.id === req.model)) {
        throw new ChatError(404, `The model \`${req.model}\` does not exist: no deployed graph of that name has a streaming (llm) node`, 'invalid_request_error', 'model', 'model_not_found');
      }
    } catch (e) {
      return fail(e);
    }
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const abort = new AbortController();
    c.req.raw.signal?.addEventListener('abort', () => abort.abort());

    if (!req.stream) {
      let tokens = 0;
      try {
        const content = await invoker.chat(req.model, req.messages, () => tokens++, abort.signal);
        return c.json({
          id,
          object: 'chat.completion',
          created,
          model: req.model,
          choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 0, completion_tokens: tokens, total_tokens: tokens },
        });
      } catch (e) {
        return fail(e);
      }
    }

    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      // Writes are queued so tokens keep their order while the graph runs.
      let queue = stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null) });
      const send = (data: string) => {
        queue = queue.then(() => stream.writeSSE({ data }));
      };
      try {
        await invoker.chat(req.model, req.messages, (token) => send(chunk({ content: token }, null)), abort.signal);
        send(chunk({}, 'stop'));
      } catch (e) {
        const err = e instanceof ChatError ? e : new ChatError(500, e instanceof Error ? e.message : String(e), 'server_error');
        send(JSON.stringify(err.body()));
      }
      send('[DONE]');
      await queue;
    });
  });
  return app;
}
