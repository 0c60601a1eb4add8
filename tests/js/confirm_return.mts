// The official MCP TypeScript SDK client answering the shop's question:
// `submit_return` asks the customer to confirm (elicitation/create on the
// call's stream, protocol 2025-11-25). The client declares the elicitation
// capability and answers the n-th question with the n-th entry of
// MCP_ANSWERS (a JSON array of ElicitResult objects); it prints each call's
// result and the questions it was asked, as one JSON document.
//
// Environment: MCP_URL, MCP_KEY (the bearer secret), MCP_ANSWERS.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const url = process.env.MCP_URL;
const key = process.env.MCP_KEY;
const answers = JSON.parse(process.env.MCP_ANSWERS ?? "[]");
if (!url || !key || !Array.isArray(answers) || answers.length === 0) {
  throw new Error("set MCP_URL, MCP_KEY and MCP_ANSWERS");
}

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client(
  { name: "confirm-return-test", version: "1.0.0" },
  { capabilities: { elicitation: {} } },
);
const asked: unknown[] = [];
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  asked.push(request.params);
  return answers[Math.min(asked.length, answers.length) - 1];
});
await client.connect(transport);

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

const results = [await submit("ts-confirm-accept"), await submit("ts-confirm-decline")];
console.log(JSON.stringify({ asked, results }));
await client.close();
