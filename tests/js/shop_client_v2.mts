// The official MCP TypeScript SDK v2 client (`@modelcontextprotocol/client`,
// protocol 2026-07-28, pinned to the revision with `versionNegotiation`),
// run by tests/tests/js_clients_v2.rs against the real shop binary. It
// prints one JSON document: what the SDK returned, plus `wire`, every
// message the server sent it (the tests validate each against the official
// 2026-07-28 schema).
//
// MCP_MODE selects what it does:
//   - `read`: as a key bound to acme, list resources, templates and prompts,
//     read a policy, a product, its picture and a globex product, get the
//     prompt, complete ids. Over HTTP (MCP_URL, MCP_KEY) or, with
//     MCP_STDIO (a JSON array: the command line), over stdio.
//   - `confirm`: call `submit_return` twice; the server asks for a
//     confirmation with an `input_required` result (MRTR) and the SDK answers
//     it itself through the `elicitation/create` handler, which returns the
//     n-th entry of MCP_ANSWERS.
//   - `task`: run `export_invoices` (MCP_ARGS) with
//     `@modelcontextprotocol/ext-tasks` to completion, or with MCP_CANCEL set
//     cancel it once its progress moved.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { createTaskSessionFromClient } from "@modelcontextprotocol/ext-tasks/client";

const REVISION = "2026-07-28";
const TASKS = "io.modelcontextprotocol/tasks";
const mode = process.env.MCP_MODE ?? "read";
const url = process.env.MCP_URL;
const key = process.env.MCP_KEY;
const stdio = process.env.MCP_STDIO ? (JSON.parse(process.env.MCP_STDIO) as string[]) : undefined;
if (!stdio && (!url || !key)) throw new Error("set MCP_URL and MCP_KEY, or MCP_STDIO");

const wire: unknown[] = [];
const clientInfo = { name: "shop-client-v2-test", version: "1.0.0" };
const capabilities = mode === "confirm" ? { elicitation: {} } : {};

// Record every message the transport hands to the SDK.
const recorded = <T extends object>(transport: T): T => {
  let handler: ((m: unknown, extra?: unknown) => void) | undefined;
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    get: () => handler,
    set: (fn) => {
      handler = fn && ((m: unknown, extra?: unknown) => {
        wire.push(m);
        fn(m, extra);
      });
    },
  });
  return transport;
};

const transport = stdio
  ? new StdioClientTransport({ command: stdio[0], args: stdio.slice(1), stderr: "ignore" })
  : new StreamableHTTPClientTransport(new URL(url!), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    });
const client = new Client(clientInfo, {
  capabilities,
  versionNegotiation: { mode: { pin: REVISION } },
});
await client.connect(recorded(transport));

// A JSON-RPC error as the SDK raises it: its code and message.
const failure = async (p: Promise<unknown>) => {
  try {
    return { unexpected: await p };
  } catch (e) {
    const err = e as { code?: number; message?: string };
    return { code: err.code, message: err.message };
  }
};

const out: Record<string, unknown> = {
  era: client.getProtocolEra(),
  server: client.getServerVersion(),
  capabilities: client.getServerCapabilities(),
};

if (mode === "read") {
  const product = { type: "ref/resource" as const, uri: "shop://products/{productId}" };
  const prompt = { type: "ref/prompt" as const, name: "draft_order_reply" };
  out.served = {
    capabilities: client.getServerCapabilities(),
    resources: await client.listResources(),
    templates: await client.listResourceTemplates(),
    prompts: await client.listPrompts(),
    returns: await client.readResource({ uri: "shop://policies/returns" }),
    product: await client.readResource({ uri: "shop://products/PRD-1003" }),
    image: await client.readResource({ uri: "shop://products/PRD-1003/image" }),
    globexProduct: await failure(client.readResource({ uri: "shop://products/PRD-2003" })),
    reply: await client.getPrompt({ name: "draft_order_reply", arguments: { orderNumber: "ORD-10004" } }),
    completeProduct: await client.complete({ ref: product, argument: { name: "productId", value: "PRD-101" } }),
    completeGlobex: await client.complete({ ref: product, argument: { name: "productId", value: "PRD-2" } }),
    completeOrder: await client.complete({
      ref: prompt,
      argument: { name: "orderNumber", value: "ord-1000" },
      context: { arguments: { tone: "formal" } },
    }),
    unknownPrompt: await failure(
      client.complete({ ref: { type: "ref/prompt", name: "nope" }, argument: { name: "x", value: "" } }),
    ),
  };
} else if (mode === "confirm") {
  const answers = JSON.parse(process.env.MCP_ANSWERS ?? "[]");
  if (!Array.isArray(answers) || answers.length === 0) throw new Error("set MCP_ANSWERS");
  const asked: unknown[] = [];
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params);
    return answers[Math.min(asked.length, answers.length) - 1];
  });
  const submit = (idempotencyKey: string) =>
    client.callTool({
      name: "submit_return",
      arguments: {
        tenantId: "acme",
        orderNumber: "ORD-10001",
        items: [{ productId: "PRD-1008", quantity: 1, reason: "damaged" }],
        idempotencyKey,
      },
    });
  out.results = [await submit("ts2-confirm-accept"), await submit("ts2-confirm-decline")];
  out.asked = asked;
} else if (mode === "task") {
  // ext-tasks sends `tools/call` and `tasks/*` of a 2026-07-28 tasks server
  // through `rawDispatch` (the SDK's codecs reject the task shapes), framed
  // with `v2RequestFraming`, whose client capabilities it extends with the
  // tasks extension: that declaration is what makes the server run a task.
  // The coordinator owns the JSON-RPC envelope: ext-tasks hands it the
  // method and params only.
  let nextId = 1;
  const dispatched: string[] = [];
  const rawDispatch = async (request: unknown) => {
    const r = request as { method: string; params?: { name?: string; taskId?: string } };
    const envelope = { jsonrpc: "2.0", id: `ext-tasks-${nextId++}`, ...r };
    dispatched.push(r.method);
    const name = r.params?.name ?? r.params?.taskId;
    const response = await fetch(url!, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${key}`,
        "MCP-Protocol-Version": REVISION,
        "Mcp-Method": r.method,
        ...(name === undefined ? {} : { "Mcp-Name": name }),
      },
      body: JSON.stringify(envelope),
    });
    const type = response.headers.get("content-type") ?? "";
    const text = await response.text();
    const messages = type.startsWith("text/event-stream")
      ? text
          .split(/\r?\n/)
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l))
      : [JSON.parse(text)];
    wire.push(...messages);
    const reply = messages.find((m) => "result" in m || "error" in m);
    if (!reply) throw new Error(`no response to ${r.method}: HTTP ${response.status} ${text}`);
    return "error" in reply ? { kind: "error", error: reply.error } : { kind: "result", result: reply.result };
  };
  const session = createTaskSessionFromClient(client, {
    endpointId: "shop",
    rawDispatch: rawDispatch as never,
    v2RequestFraming: { protocolVersion: REVISION, clientInfo, clientCapabilities: capabilities },
  });
  const args = JSON.parse(process.env.MCP_ARGS ?? "{}");
  const statuses: unknown[] = [];
  try {
    const execution = await session.callTool("export_invoices", args, { task: { preference: "require" } });
    out.kind = execution.kind;
    if (process.env.MCP_CANCEL) {
      for await (const event of execution.updates()) {
        if (event.type === "task") {
          statuses.push({ status: event.task.status, statusMessage: event.task.statusMessage });
          const progress = (event.task.raw._meta as Record<string, { progress?: number }> | undefined)?.[
            "dev.mcp-runtime/progress"
          ]?.progress;
          if (event.task.status === "working" && (progress ?? 0) > 0) {
            await execution.cancel();
          }
        } else {
          out.outcome = { status: event.outcome.status };
          break;
        }
      }
    } else {
      const { outcome } = await execution.settle({
        onEvent: (event) => {
          if (event.type === "task") statuses.push({ status: event.task.status });
        },
      });
      out.outcome =
        outcome.status === "failed"
          ? { ...outcome, error: { message: outcome.error.message, cause: String(outcome.error.cause), details: (outcome.error.cause as { details?: unknown })?.details } }
          : outcome;
    }
  } finally {
    await session.close();
  }
  out.statuses = statuses;
  out.dispatched = dispatched;
  out.extension = TASKS;
} else {
  throw new Error(`unknown MCP_MODE ${mode}`);
}
await client.close();
out.wire = wire;
console.log(JSON.stringify(out));
