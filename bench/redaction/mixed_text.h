// Deterministic mixed text (prose, code, logs) with a sprinkling of PII, for benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace warden::bench {

// kind: 0 mixed (45% prose, 25% code, 27% logs, 3% PII), 1 prose, 2 code, 3 logs, 4 PII.
inline std::string mixed_text(size_t bytes, uint64_t seed = 42, int kind = 0) {
  static const char* kProse[] = {
      "The quarterly report shows that revenue grew in most regions, while costs stayed flat. ",
      "Please review the attached proposal and let us know whether the timeline works for your team. ",
      "Our customers asked for better search, faster exports and a simpler onboarding flow. ",
      "In 2023 the company opened two new offices and hired 45 engineers across Europe. ",
      "The meeting was moved to Thursday because several people were travelling this week. ",
      "Ich habe die Unterlagen gestern geschickt, bitte prüfen Sie die Zahlen noch einmal. ",
      "Nous avons reçu votre demande et nous reviendrons vers vous dans les plus brefs délais. ",
  };
  static const char* kCode[] = {
      "for (size_t i = 0; i < items.size(); ++i) {\n  total += items[i].price * items[i].quantity;\n}\n",
      "def parse_config(path):\n    with open(path) as f:\n        return yaml.safe_load(f)\n",
      "const result = await fetch(`/api/v1/users/${id}`, { method: 'GET', headers });\n",
      "std::vector<int> values{1, 2, 3, 4};\nauto it = std::find(values.begin(), values.end(), 3);\n",
      "SELECT id, name, created_at FROM orders WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;\n",
  };
  static const char* kLogs[] = {
      "2024-03-15T10:23:45.123Z INFO  request_id=8f14e45f path=/v1/chat status=200 latency_ms=134\n",
      "2024-03-15 10:23:46 WARN worker-3 retrying job 5512 after timeout (attempt 2/5)\n",
      "[2024-03-15 10:23:47] ERROR db pool exhausted, active=32 idle=0 waiting=7\n",
      "Mar 15 10:23:48 host-12 sshd[2231]: Accepted publickey for deploy from 10.0.4.17 port 52144\n",
  };
  static const char* kPii[] = {
      "Contact jane.doe@example.com or call +1 212-555-0147. ",
      "Card 4111 1111 1111 1111 was charged. ",
      "Dear Mr. Robert Fischer, your IBAN DE89 3704 0044 0532 0130 00 is on file. ",
      "api_key = \"a8Fk29dLq0Zx7Bn3Vc5Mw1Er6Ty4Ui2O\"\n",
  };
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(bytes + 256);
  while (out.size() < bytes) {
    uint64_t r = kind == 1 ? 0 : kind == 2 ? 50 : kind == 3 ? 80 : kind == 4 ? 99 : rng() % 100;
    if (r < 45) out += kProse[rng() % 7];
    else if (r < 70) out += kCode[rng() % 5];
    else if (r < 97) out += kLogs[rng() % 4];
    else out += kPii[rng() % 4];
  }
  out.resize(bytes);
  return out;
}

}  // namespace warden::bench
