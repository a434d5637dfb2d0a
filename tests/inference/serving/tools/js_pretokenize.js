#!/usr/bin/env node
// Reference pre-tokenizer for the Warden serving tests: the Split / Digits steps of a
// tokenizer.json `pre_tokenizer` object run by @lenml/tokenizers (JavaScript regexes with
// the 'u' flag, leftmost-first backtracking like Oniguruma).
//
// usage: node js_pretokenize.js PRE_TOKENIZER_JSON < lines.jsonl
//   input {"text": "..."} -> {"pieces": ["...", ...]} (raw text pieces: the final ByteLevel
//   step, which only maps bytes to printable characters, is left out)
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const toolsRoot = path.resolve(__dirname, '../../../../tools/node_modules');
const { TokenizerLoader } = require(path.join(toolsRoot, '@lenml/tokenizers'));

function main() {
  const [preTokenizerFile] = process.argv.slice(2);
  if (!preTokenizerFile) {
    process.stderr.write('usage: js_pretokenize.js PRE_TOKENIZER_JSON < lines.jsonl\n');
    process.exit(2);
  }
  const preTokenizer = JSON.parse(fs.readFileSync(preTokenizerFile, 'utf8'));
  preTokenizer.pretokenizers = preTokenizer.pretokenizers.filter((step) => step.type !== 'ByteLevel');
  // A minimal byte-level BPE tokenizer carries the pre-tokenizer; only its pre_tokenizer is used.
  const tokenizerJSON = {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
  };
  const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig: {} });

  const out = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.length === 0) return;
    const req = JSON.parse(line);
    out.push(JSON.stringify({ pieces: tokenizer.pre_tokenizer.pre_tokenize_text(req.text) }));
  });
  rl.on('close', () => { process.stdout.write(out.join('\n') + (out.length ? '\n' : '')); });
}

main();
