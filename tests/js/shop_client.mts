// A small client of the official MCP TypeScript SDK, run by
// tests/tests/js_clients.rs against the real shop binary: connect, list the
// tools, call a few, and print what the SDK parsed as one JSON document.
//
// The SDK compiles every tool's outputSchema when it lists the tools (its
// validator warns on stderr about anything it cannot read, e.g. an unknown
// `format`) and checks each structuredContent against it, so a call that
// returns at all matched its published schema.
//
// Environment: MCP_URL, MCP_KEY (the bearer secret).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = process.env.MCP_URL;
const key = process.env.MCP_KEY;
if (!url || !key) throw new Error("set MCP_URL and MCP_KEY");

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "shop-client-test", version: "1.0.0" });
await client.connect(transport);

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
console.log(JSON.stringify({ server: client.getServerVersion(), tools, results }));
await client.close();
