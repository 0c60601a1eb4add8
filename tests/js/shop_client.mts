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
// bound to acme).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = process.env.MCP_URL;
const key = process.env.MCP_KEY;
const acmeKey = process.env.MCP_ACME_KEY;
if (!url || !key || !acmeKey) throw new Error("set MCP_URL, MCP_KEY and MCP_ACME_KEY");

const connect = async (secret: string) => {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${secret}` } },
  });
  const c = new Client({ name: "shop-client-test", version: "1.0.0" });
  await c.connect(transport);
  return c;
};
const client = await connect(key);

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
await client.close();

// A JSON-RPC error as the SDK raises it: its code and message.
const failure = async (p: Promise<unknown>) => {
  try {
    return { unexpected: await p };
  } catch (e) {
    const err = e as { code?: number; message?: string };
    return { code: err.code, message: err.message };
  }
};
const acme = await connect(acmeKey);
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
console.log(JSON.stringify({ server: client.getServerVersion(), tools, results, served }));
