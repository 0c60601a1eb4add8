// A small client of the official MCP TypeScript SDK, run by
// tests/tests/js_clients.rs against the real shop binary: connect, list the
// tools, call a few, and print what the SDK parsed as one JSON document.
//
// The SDK compiles every tool's outputSchema when it lists the tools (its
// validator warns on stderr about anything it cannot read, e.g. an unknown
// `format`) and checks each structuredContent against it, so a call that
// returns at all matched its published schema.
//
// Then, as a key bound to acme (reads, prompts and completions act for the
// key's one tenant): the resources, templates and prompts listed, a policy,
// a product, its picture and a globex product read, the prompt got, ids
// completed.
//
// Environment: MCP_URL, MCP_KEY (the bearer secret), MCP_ACME_KEY (a key
// bound to acme). Or MCP_STDIO (a JSON array: the command line of a shop
// serving stdio for acme): then only the acme part runs, over stdio.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = process.env.MCP_URL;
const key = process.env.MCP_KEY;
const acmeKey = process.env.MCP_ACME_KEY;
const stdio = process.env.MCP_STDIO ? (JSON.parse(process.env.MCP_STDIO) as string[]) : undefined;
if (!stdio && (!url || !key || !acmeKey)) {
  throw new Error("set MCP_URL, MCP_KEY and MCP_ACME_KEY, or MCP_STDIO");
}

const connect = async (secret: string) => {
  const transport = stdio
    ? new StdioClientTransport({ command: stdio[0], args: stdio.slice(1), stderr: "ignore" })
    : new StreamableHTTPClientTransport(new URL(url!), {
        requestInit: { headers: { Authorization: `Bearer ${secret}` } },
      });
  const c = new Client({ name: "shop-client-test", version: "1.0.0" });
  await c.connect(transport);
  return c;
};

// The tools, as the key for any tenant (HTTP only).
const toolsPart = async () => {
  const client = await connect(key!);
  const { tools } = await client.listTools();
  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: { ...args, tenantId: "acme" } });

  const results = {
    getOrder: await call("get_order", { orderNumber: "ORD-10001" }),
    getCustomer: await call("get_customer", { customerId: "CUS-1001" }),
    checkInventory: await call("check_inventory", { productIds: ["PRD-1001", "PRD-1003"] }),
    listInvoices: await call("list_invoices", { customerId: "CUS-1001" }),
    tooMany: await call("create_quote", {
      customerId: "CUS-1001",
      items: [{ productId: "PRD-1001", quantity: 4294967296 }],
      idempotencyKey: "ts-client-0001",
    }),
  };
  const server = client.getServerVersion();
  await client.close();
  return { server, tools, results };
};
const toolsOut = stdio ? {} : await toolsPart();

// A JSON-RPC error as the SDK raises it: its code and message.
const failure = async (p: Promise<unknown>) => {
  try {
    return { unexpected: await p };
  } catch (e) {
    const err = e as { code?: number; message?: string };
    return { code: err.code, message: err.message };
  }
};
const acme = await connect(acmeKey ?? "");
const product = { type: "ref/resource" as const, uri: "shop://products/{productId}" };
const prompt = { type: "ref/prompt" as const, name: "draft_order_reply" };
const served = {
  capabilities: acme.getServerCapabilities(),
  resources: await acme.listResources(),
  templates: await acme.listResourceTemplates(),
  prompts: await acme.listPrompts(),
  returns: await acme.readResource({ uri: "shop://policies/returns" }),
  product: await acme.readResource({ uri: "shop://products/PRD-1003" }),
  image: await acme.readResource({ uri: "shop://products/PRD-1003/image" }),
  globexProduct: await failure(acme.readResource({ uri: "shop://products/PRD-2003" })),
  reply: await acme.getPrompt({ name: "draft_order_reply", arguments: { orderNumber: "ORD-10004" } }),
  completeProduct: await acme.complete({ ref: product, argument: { name: "productId", value: "PRD-101" } }),
  completeGlobex: await acme.complete({ ref: product, argument: { name: "productId", value: "PRD-2" } }),
  completeOrder: await acme.complete({
    ref: prompt,
    argument: { name: "orderNumber", value: "ord-1000" },
    context: { arguments: { tone: "formal" } },
  }),
  unknownPrompt: await failure(acme.complete({ ref: { type: "ref/prompt", name: "nope" }, argument: { name: "x", value: "" } })),
};
await acme.close();
console.log(JSON.stringify({ ...toolsOut, served, acmeServer: acme.getServerVersion() }));
