// Function calling through a Warden gateway with the official OpenAI JavaScript client:
// a call (plain and streamed, deltas accumulated by index as the client's users do), then
// the tool's result sent back. Prints one JSON line. Usage: node openai_tools_client.mjs BASE_URL API_KEY
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const OpenAI = require("../../../tools/node_modules/openai").default;

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const tools = [
  {
    type: "function",
    function: {
      name: "send_mail",
      description: "Sends an e-mail.",
      parameters: { type: "object", properties: { to: { type: "string" } }, required: ["to"] },
    },
  },
];
const ask = [{ role: "user", content: 'CALL send_mail {"to": "eve@example.com"}' }];
const result = {};

const chat = await client.chat.completions.create({ model: "echo-test", messages: ask, tools });
const call = chat.choices[0].message.tool_calls[0];
result.finish_reason = chat.choices[0].finish_reason;
result.name = call.function.name;
result.arguments = call.function.arguments;

const stream = await client.chat.completions.create({ model: "echo-test", messages: ask, tools, stream: true });
const calls = [];
for await (const chunk of stream) {
  const choice = chunk.choices[0];
  if (!choice) continue;
  for (const d of choice.delta?.tool_calls ?? []) {
    calls[d.index] ??= { name: "", arguments: "" };
    calls[d.index].name += d.function?.name ?? "";
    calls[d.index].arguments += d.function?.arguments ?? "";
  }
  if (choice.finish_reason) result.stream_finish_reason = choice.finish_reason;
}
result.stream_name = calls[0]?.name;
result.stream_arguments = calls[0]?.arguments;

const followup = await client.chat.completions.create({
  model: "echo-test",
  tools,
  messages: [...ask, chat.choices[0].message, { role: "tool", tool_call_id: call.id, content: "sent" }],
});
result.after_tool = followup.choices[0].message.content;
console.log(JSON.stringify(result));
