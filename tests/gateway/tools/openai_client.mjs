// Drives a Warden gateway with the official OpenAI JavaScript client and prints one JSON
// line of what it saw. Usage: node openai_client.mjs BASE_URL API_KEY
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const OpenAI = require("../../../tools/node_modules/openai").default;

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const result = {};

const models = await client.models.list();
result.models = models.data.map((m) => m.id).join(",");

const chat = await client.chat.completions.create({
  model: "echo-test",
  messages: [{ role: "user", content: "hello from npm" }],
});
result.chat = chat.choices[0].message.content;

const stream = await client.chat.completions.create({
  model: "echo-test",
  messages: [{ role: "user", content: "streamed words here" }],
  stream: true,
});
let text = "";
for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
result.stream = text;

try {
  await new OpenAI({ baseURL, apiKey: "wdn_000000000000_" + "0".repeat(64), maxRetries: 0 }).models.list();
  result.unauthorized = 200;
} catch (e) {
  result.unauthorized = e.status;
}

// The key allows 5 requests a minute: 3 were used above, so one of the next calls is refused.
result.rate_limited = 200;
for (let i = 0; i < 4; i++) {
  try {
    await client.models.list();
  } catch (e) {
    result.rate_limited = e.status;
    break;
  }
}
console.log(JSON.stringify(result));
