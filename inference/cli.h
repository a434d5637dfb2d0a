// CLI commands of the inference module, wired into the `warden` executable by gateway/.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace warden::inference {

// `warden tokenize --model DIR`
// Reads JSON lines {"text": "..."} from `in` and writes one line {"ids": [...]} per input
// line to `out` (no special tokens added; text that looks like a special token is encoded
// as plain text). Blank lines are skipped. `args` are the arguments after "tokenize".
// Exit codes: 0 success, 2 usage error, 1 failure (unreadable model, bad input line).
int run_tokenize_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err);

}  // namespace warden::inference
