// The official OpenAI JavaScript client against the real gateway and its demo model.
// Usage: node openai_e2e.mjs BASE_URL USER_KEY LIMITED_KEY (the latter allows 4 requests/min)
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const OpenAI = require("../../tools/node_modules/openai").default;

const [baseURL, apiKey, limitedKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const result = {};
result.models = (await client.models.list()).data.map((m) => m.id).join(",");
const chat = await client.chat.completions.create({
  model: "demo-tiny-v3", messages: [{ role: "user", content: "Say something" }], max_tokens: 6, seed: 7,
});
result.chat_tokens = chat.usage.completion_tokens;
const stream = await client.chat.completions.create({
  model: "demo-tiny-v3", messages: [{ role: "user", content: "Stream please" }], max_tokens: 6, stream: true,
  stream_options: { include_usage: true },
});
let chunks = 0;
for await (const chunk of stream) if (chunk.usage) chunks = chunk.usage.completion_tokens;
result.stream_chunks = chunks;
try {
  await new OpenAI({ baseURL, apiKey: "wdn_000000000000_" + "0".repeat(64), maxRetries: 0 }).models.list();
  result.unauthorized = 200;
} catch (e) { result.unauthorized = e.status; }
const limited = new OpenAI({ baseURL, apiKey: limitedKey, maxRetries: 0 });
result.rate_limited = 200;
for (let i = 0; i < 6; i++) {
  try { await limited.models.list(); } catch (e) { result.rate_limited = e.status; break; }
}
console.log(JSON.stringify(result));
