#include "policy/checksums.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace warden::policy {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

bool starts_in(std::string_view d, int len, int lo, int hi) {
  if (static_cast<int>(d.size()) < len) return false;
  int v = 0;
  for (int i = 0; i < len; ++i) v = v * 10 + (d[static_cast<size_t>(i)] - '0');
  return v >= lo && v <= hi;
}

struct IbanLength {
  const char* country;
  int length;
};

constexpr IbanLength kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
    {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24},
    {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
    {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23},
    {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22},
    {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
    {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"TN", 24}, {"TR", 26},
    {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};

// kIbanLengths by country code: [first letter - 'A'][second letter - 'A'].
struct IbanLengthTable {
  std::array<std::array<uint8_t, 26>, 26> length{};
  IbanLengthTable() {
    for (const auto& e : kIbanLengths)
      length[static_cast<size_t>(e.country[0] - 'A')][static_cast<size_t>(e.country[1] - 'A')] =
          static_cast<uint8_t>(e.length);
  }
};

int iban_length_for(std::string_view country) {
  static const IbanLengthTable kTable;
  if (country.size() != 2) return 0;
  const unsigned a = static_cast<unsigned char>(country[0]) - 'A', b = static_cast<unsigned char>(country[1]) - 'A';
  return a < 26 && b < 26 ? kTable.length[a][b] : 0;
}

// Remainder mod 97 of the IBAN rearranged (first four characters moved to the end,
// letters A-Z as 10..35), continuing from `rem`, without big integers: digits are gathered
// into a 64-bit value that is reduced whenever it nears 10^16 (the same remainder as one
// reduction per digit, with far fewer divisions).
int iban_mod97(std::string_view rearranged, int rem = 0) {
  uint64_t value = static_cast<uint64_t>(rem);
  for (char c : rearranged) {
    if (value >= 100'000'000'000'000ULL) value %= 97;
    if (c >= '0' && c <= '9') {
      value = value * 10 + static_cast<uint64_t>(c - '0');
    } else {
      value = value * 100 + static_cast<uint64_t>(c - 'A' + 10);
    }
  }
  return static_cast<int>(value % 97);
}

constexpr const char* kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr const char* kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t bech32_polymod(const std::vector<uint8_t>& values) {
  constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

}  // namespace

int iban_length(std::string_view country) { return iban_length_for(country); }

bool luhn_valid(std::string_view digits) {
  if (digits.size() < 2 || !all_digits(digits)) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

char luhn_check_digit(std::string_view digits) {
  for (char c = '0'; c <= '9'; ++c) {
    std::string candidate(digits);
    candidate.push_back(c);
    if (luhn_valid(candidate)) return c;
  }
  return '0';
}

std::string_view card_issuer(std::string_view d) {
  const size_t n = d.size();
  if (!all_digits(d)) return {};
  if (d[0] == '4' && (n == 13 || n == 16 || n == 19)) return "visa";
  if (n == 16 && (starts_in(d, 2, 51, 55) || starts_in(d, 4, 2221, 2720))) return "mastercard";
  if (n == 15 && (starts_in(d, 2, 34, 34) || starts_in(d, 2, 37, 37))) return "amex";
  if ((n == 16 || n == 19) && (starts_in(d, 4, 6011, 6011) || starts_in(d, 2, 65, 65) ||
                               starts_in(d, 3, 644, 649)))
    return "discover";
  if (n >= 16 && n <= 19 && starts_in(d, 4, 3528, 3589)) return "jcb";
  if ((n == 14 || n == 16) && (starts_in(d, 3, 300, 305) || starts_in(d, 2, 36, 36) ||
                               starts_in(d, 2, 38, 39)))
    return "diners";
  if (n >= 16 && n <= 19 && starts_in(d, 2, 62, 62)) return "unionpay";
  if (n >= 12 && n <= 19 && (starts_in(d, 2, 50, 50) || starts_in(d, 2, 56, 58) ||
                             starts_in(d, 1, 6, 6)))
    return "maestro";
  return {};
}

bool iban_valid(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool upper = c >= 'A' && c <= 'Z';
    bool digit = c >= '0' && c <= '9';
    if (i < 2 && !upper) return false;
    if ((i == 2 || i == 3) && !digit) return false;
    if (!upper && !digit) return false;
  }
  if (iban_length_for(s.substr(0, 2)) != static_cast<int>(s.size())) return false;
  return iban_mod97(s.substr(0, 4), iban_mod97(s.substr(4))) == 1;  // the first four moved to the end
}

std::string iban_with_check_digits(std::string_view country, std::string_view bban) {
  std::string rearranged(bban);
  rearranged.append(country);
  rearranged.append("00");
  int check = 98 - iban_mod97(rearranged);
  std::string out(country);
  out.push_back(static_cast<char>('0' + check / 10));
  out.push_back(static_cast<char>('0' + check % 10));
  out.append(bban);
  return out;
}

bool btc_base58_valid(std::string_view address) {
  if (address.size() < 26 || address.size() > 35) return false;
  // Big-endian base-256 accumulator; 25 bytes is the only valid decoded size.
  std::array<uint8_t, 40> bytes{};
  for (char c : address) {
    const char* p = nullptr;
    for (const char* q = kBase58; *q; ++q) {
      if (*q == c) {
        p = q;
        break;
      }
    }
    if (!p) return false;
    int carry = static_cast<int>(p - kBase58);
    for (size_t i = bytes.size(); i-- > 0;) {
      carry += 58 * bytes[i];
      bytes[i] = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    if (carry != 0) return false;
  }
  size_t leading_ones = 0;
  while (leading_ones < address.size() && address[leading_ones] == '1') ++leading_ones;
  size_t first_nonzero = 0;
  while (first_nonzero < bytes.size() && bytes[first_nonzero] == 0) ++first_nonzero;
  size_t decoded_len = leading_ones + (bytes.size() - first_nonzero);
  if (decoded_len != 25) return false;
  const uint8_t* decoded = bytes.data() + bytes.size() - 25;
  if (decoded[0] != 0x00 && decoded[0] != 0x05) return false;
  unsigned char h1[crypto_hash_sha256_BYTES];
  unsigned char h2[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h1, decoded, 21);
  crypto_hash_sha256(h2, h1, sizeof(h1));
  for (int i = 0; i < 4; ++i) {
    if (h2[i] != decoded[21 + i]) return false;
  }
  return true;
}

bool btc_bech32_valid(std::string_view address) {
  if (address.size() < 14 || address.size() > 74) return false;
  bool has_lower = false, has_upper = false;
  std::string lowered;
  for (char c : address) {
    if (c >= 'a' && c <= 'z') has_lower = true;
    if (c >= 'A' && c <= 'Z') {
      has_upper = true;
      c = static_cast<char>(c - 'A' + 'a');
    }
    lowered.push_back(c);
  }
  if (has_lower && has_upper) return false;
  size_t sep = lowered.rfind('1');
  if (sep == std::string::npos || lowered.substr(0, sep) != "bc") return false;
  std::vector<uint8_t> values = {3, 3, 0, 2, 3};  // hrp "bc" expanded
  std::vector<uint8_t> data;
  for (size_t i = sep + 1; i < lowered.size(); ++i) {
    const char* p = nullptr;
    for (const char* q = kBech32; *q; ++q) {
      if (*q == lowered[i]) {
        p = q;
        break;
      }
    }
    if (!p) return false;
    data.push_back(static_cast<uint8_t>(p - kBech32));
  }
  if (data.size() < 7) return false;
  values.insert(values.end(), data.begin(), data.end());
  uint32_t residue = bech32_polymod(values);
  int version = data[0];
  if (version > 16) return false;
  uint32_t expected = version == 0 ? 1u : 0x2bc830a3u;
  if (residue != expected) return false;
  // Program: 5-bit groups after the version, minus the 6 checksum symbols.
  size_t program_bits = (data.size() - 7) * 5;
  size_t program_bytes = program_bits / 8;
  if (program_bits % 8 > 4) return false;
  if (program_bytes < 2 || program_bytes > 40) return false;
  if (version == 0 && program_bytes != 20 && program_bytes != 32) return false;
  return true;
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0.0;
  std::array<int, 256> counts{};
  for (unsigned char c : s) counts[c]++;
  double h = 0.0;
  const double n = static_cast<double>(s.size());
  for (int c : counts) {
    if (c == 0) continue;
    double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool entropy_at_least(std::string_view s, double bits) {
  if (s.empty()) return 0.0 >= bits;
  std::array<uint32_t, 256> counts{};
  uint32_t most = 0;
  for (unsigned char c : s) most = std::max(most, ++counts[c]);
  // Shannon entropy >= min-entropy = log2(n / most). With a margin far above the rounding
  // of shannon_entropy, the bound alone answers "yes".
  const double n = static_cast<double>(s.size());
  if (static_cast<double>(most) * std::exp2(bits + 1e-9) <= n) return true;
  return shannon_entropy(s) >= bits;
}

}  // namespace warden::policy
