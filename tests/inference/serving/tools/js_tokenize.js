#!/usr/bin/env node
// Reference tokenizer for the Warden serving tests: @lenml/tokenizers (a port of
// transformers.js) loaded from a Hugging Face tokenizer.json + tokenizer_config.json.
//
// usage: node js_tokenize.js MODEL_DIR MODE < lines.jsonl
//   MODE "text":  input {"text": "..."}  -> {"ids": [...]} (no special tokens added, and
//                 added tokens are NOT split out of the text: Warden's encode treats text
//                 that looks like a special token as ordinary text, so the reference is built
//                 without the added-token table)
//   MODE "chat":  input {"messages": [...], "add_generation_prompt": bool} -> {"ids": [...]}
//                 through the tokenizer's own chat template (added tokens kept), or through
//                 req.chat_template when the line carries one
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const toolsRoot = path.resolve(__dirname, '../../../../tools/node_modules');
const { TokenizerLoader } = require(path.join(toolsRoot, '@lenml/tokenizers'));

function main() {
  const [modelDir, mode] = process.argv.slice(2);
  if (!modelDir || (mode !== 'text' && mode !== 'chat')) {
    process.stderr.write('usage: js_tokenize.js MODEL_DIR text|chat < lines.jsonl\n');
    process.exit(2);
  }
  const tokenizerJSON = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8'));
  const tokenizerConfig =
      JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
  if (mode === 'text') tokenizerJSON.added_tokens = [];
  const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });

  const out = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.length === 0) return;
    const req = JSON.parse(line);
    let ids;
    if (mode === 'text') {
      ids = tokenizer.encode(req.text, { add_special_tokens: false });
    } else {
      ids = tokenizer.apply_chat_template(req.messages, {
        tokenize: true,
        add_generation_prompt: !!req.add_generation_prompt,
        return_tensor: false,
        ...(req.chat_template ? { chat_template: req.chat_template } : {}),
      });
    }
    out.push(JSON.stringify({ ids: Array.from(ids) }));
  });
  rl.on('close', () => { process.stdout.write(out.join('\n') + (out.length ? '\n' : '')); });
}

main();
