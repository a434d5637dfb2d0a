// `warden redact --policy FILE`: JSON lines {"text": "..."} on stdin, one
// {"text": "<redacted>", "spans": [{"start","end","type","score","action"}]} per line on
// stdout (byte offsets into the input text). One session for the whole input, so a value
// gets the same pseudonym on every line. Exit: 0 ok, 1 failure, 2 usage.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace warden::policy {

int run_redact_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err);

}  // namespace warden::policy
