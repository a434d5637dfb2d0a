#include "corpus_generator.h"

#include <sodium.h>

#include <functional>
#include <random>

#include "policy/checksums.h"

namespace warden::policy::eval {
namespace {

using Rng = std::mt19937_64;

template <size_t N>
const char* pick(Rng& rng, const char* const (&items)[N]) {
  return items[rng() % N];
}

std::string digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

std::string chars(Rng& rng, int n, std::string_view alphabet) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
  return s;
}

constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const char* const kFirst[] = {"James", "Mary", "Robert", "Linda", "Lukas", "Leonie", "Jonas", "Hannah",
                              "Chloé", "Hugo", "Léa", "Pablo", "Lucía", "Sofía", "Marco", "Giulia",
                              "Daan", "Emma", "Sem", "Julia", "Ahmed", "Olga", "Priya", "Arjun"};
const char* const kLast[] = {"Smith", "Johnson", "Brown", "Müller", "Schmidt", "Fischer", "Weber",
                             "Martin", "Dubois", "Bernard", "García", "Fernández", "López", "Rossi",
                             "Russo", "Bianchi", "Jansen", "Bakker", "Visser", "Nguyen", "Kowalski",
                             "Andersson", "O'Brien", "MacDonald"};

std::string person(Rng& rng) { return std::string(pick(rng, kFirst)) + " " + pick(rng, kLast); }

std::string ascii_lower(std::string s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c + 32));
    else if (c < 0x80 && c != '\'' && c != ' ') out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string email(Rng& rng) {
  const char* const domains[] = {"example.com", "firma-beispiel.de", "societe.fr", "empresa.es",
                                 "azienda.it", "bedrijf.nl", "mail.co.uk", "corp.example.org"};
  std::string first = ascii_lower(pick(rng, kFirst)), last = ascii_lower(pick(rng, kLast));
  if (first.empty()) first = "user";
  if (last.empty()) last = "name";
  switch (rng() % 3) {
    case 0: return first + "." + last + "@" + pick(rng, domains);
    case 1: return first.substr(0, 1) + last + digits(rng, 2) + "@" + pick(rng, domains);
    default: return first + "_" + last + "+work@" + pick(rng, domains);
  }
}

std::string phone(Rng& rng) {
  const std::string a = std::to_string(2 + rng() % 8) + digits(rng, 2);
  const std::string e = std::to_string(2 + rng() % 8) + digits(rng, 2);
  switch (rng() % 18) {
    case 0: return "(" + a + ") " + e + "-" + digits(rng, 4);
    case 1: return a + "-" + e + "-" + digits(rng, 4);
    case 2: return "+1 " + a + "-" + e + "-" + digits(rng, 4);
    case 3: return a + "." + e + "." + digits(rng, 4) + " ext. " + digits(rng, 3);
    case 4: return "+44 20 " + digits(rng, 4) + " " + digits(rng, 4);
    case 5: return "020 " + digits(rng, 4) + " " + digits(rng, 4);
    case 6: return "07" + digits(rng, 3) + " " + digits(rng, 6);
    case 7: return "+49 30 " + digits(rng, 8);
    case 8: return "0151 " + digits(rng, 8);
    case 9: return "+49 (0)89 " + digits(rng, 7);
    case 10: return "+33 1 " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2);
    case 11: return "06 " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2);
    case 12: return "+34 9" + digits(rng, 2) + " " + digits(rng, 3) + " " + digits(rng, 3);
    case 13: return "6" + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2);
    case 14: return "+39 06 " + digits(rng, 4) + " " + digits(rng, 4);
    case 15: return "3" + digits(rng, 2) + " " + digits(rng, 3) + " " + digits(rng, 4);
    case 16: return "+31 20 " + digits(rng, 3) + " " + digits(rng, 4);
    default: return "06 " + digits(rng, 8);
  }
}

std::string credit_card(Rng& rng) {
  const char* const prefixes[] = {"4", "51", "53", "55", "2221", "34", "37", "6011", "65", "3530"};
  std::string p = pick(rng, prefixes);
  const bool amex = p == "34" || p == "37";
  const int len = amex ? 15 : 16;
  std::string body = p + digits(rng, len - 1 - static_cast<int>(p.size()));
  body.push_back(luhn_check_digit(body));
  const int style = static_cast<int>(rng() % 3);
  if (style == 0) return body;
  const char sep = style == 1 ? ' ' : '-';
  if (amex) return body.substr(0, 4) + sep + body.substr(4, 6) + sep + body.substr(10);
  return body.substr(0, 4) + sep + body.substr(4, 4) + sep + body.substr(8, 4) + sep + body.substr(12);
}

std::string iban(Rng& rng) {
  std::string country, bban;
  switch (rng() % 6) {
    case 0: country = "DE"; bban = digits(rng, 18); break;
    case 1: country = "GB"; bban = chars(rng, 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + digits(rng, 14); break;
    case 2: country = "FR"; bban = digits(rng, 23); break;
    case 3: country = "ES"; bban = digits(rng, 20); break;
    case 4: country = "IT"; bban = "X" + digits(rng, 22); break;
    default: country = "NL"; bban = chars(rng, 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + digits(rng, 10); break;
  }
  std::string compact = iban_with_check_digits(country, bban);
  if (rng() % 2) return compact;
  std::string grouped;
  for (size_t i = 0; i < compact.size(); i += 4) {
    if (i) grouped.push_back(' ');
    grouped += compact.substr(i, 4);
  }
  return grouped;
}

std::string ssn(Rng& rng) {
  int area = 1 + static_cast<int>(rng() % 899);
  if (area == 666) area = 667;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%03d-%02d-%04d", area, 1 + static_cast<int>(rng() % 99),
                1 + static_cast<int>(rng() % 9999));
  return buf;
}

std::string ip(Rng& rng) {
  if (rng() % 3) {
    return std::to_string(1 + rng() % 223) + "." + std::to_string(rng() % 256) + "." +
           std::to_string(rng() % 256) + "." + std::to_string(1 + rng() % 254);
  }
  auto hex = [&] { return chars(rng, 1 + static_cast<int>(rng() % 4), "0123456789abcdef"); };
  std::string h1 = hex();
  if (h1.find_first_of("0123456789") == std::string::npos) h1 = h1.substr(0, 3) + "1";
  if (rng() % 2) return "2001:db8:" + h1 + "::" + hex();
  return "fe80::" + h1 + ":" + hex() + ":" + hex() + ":" + hex();
}

std::string base58check(Rng& rng) {
  static const char* kB58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  unsigned char data[25];
  data[0] = rng() % 2 ? 0x00 : 0x05;
  for (int i = 1; i < 21; ++i) data[i] = static_cast<unsigned char>(rng());
  unsigned char h1[32], h2[32];
  crypto_hash_sha256(h1, data, 21);
  crypto_hash_sha256(h2, h1, 32);
  for (int i = 0; i < 4; ++i) data[21 + i] = h2[i];
  std::vector<unsigned char> num(data, data + 25);
  std::string out;
  while (!num.empty()) {
    int rem = 0;
    std::vector<unsigned char> next;
    for (unsigned char b : num) {
      int cur = rem * 256 + b;
      int q = cur / 58;
      rem = cur % 58;
      if (!next.empty() || q) next.push_back(static_cast<unsigned char>(q));
    }
    out.insert(out.begin(), kB58[rem]);
    num.swap(next);
  }
  for (int i = 0; i < 25 && data[i] == 0; ++i) out.insert(out.begin(), '1');
  return out;
}

std::string bech32_address(Rng& rng) {
  static const char* kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::vector<uint8_t> values = {3, 3, 0, 2, 3, 0};  // hrp "bc" expanded + version 0
  std::vector<uint8_t> data = {0};
  for (int i = 0; i < 32; ++i) data.push_back(static_cast<uint8_t>(rng() % 32));  // 20 bytes
  values.pop_back();
  values.insert(values.end(), data.begin(), data.end());
  for (int i = 0; i < 6; ++i) values.push_back(0);
  uint32_t chk = 1;
  const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= gen[i];
  }
  chk ^= 1;
  std::string out = "bc1";
  for (uint8_t d : data) out.push_back(kCharset[d]);
  for (int i = 0; i < 6; ++i) out.push_back(kCharset[(chk >> (5 * (5 - i))) & 31]);
  return out;
}

std::string b64url(Rng& rng, int n) { return chars(rng, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"); }

std::string jwt(Rng& rng) {
  const char* headers[] = {"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
                           "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"};
  return std::string(pick(rng, headers)) + ".eyJ" + b64url(rng, 40 + static_cast<int>(rng() % 40)) + "." +
         b64url(rng, 43);
}

struct Template {
  const char* type;
  std::function<std::string(Rng&)> value;
  std::vector<const char*> sentences;  // "{}" marks the value
};

std::vector<Template> templates() {
  return {
      {"EMAIL_ADDRESS", email, {"Please write to {} for details.", "Contact: {}", "cc {} on the thread", "Mail an {} schicken.", "Écrivez à {} svp.", "<{}>"}},
      {"PHONE_NUMBER", phone, {"Call me at {} tomorrow.", "Phone: {}", "Tel. {}", "Mobil: {}", "Téléphone : {}", "Llámame al {} mañana.", "Chiamami al {} stasera.", "Bel me op {} vandaag.", "You can reach the front desk on {}."}},
      {"CREDIT_CARD", credit_card, {"My card number is {}.", "Card: {} exp 09/27", "charge {} please", "Kreditkarte {} wurde belastet.", "carte bancaire {} refusée"}},
      {"IBAN_CODE", iban, {"IBAN: {}", "Please transfer to {} by Friday.", "Konto {} (Sparkasse)", "virement sur {} merci", "cuenta {}"}},
      {"US_SSN", ssn, {"SSN: {}", "My social security number is {}.", "ssn {} on the W-2"}},
      {"IP_ADDRESS", ip, {"The server at {} is down.", "Blocked requests from {} today.", "host={} port=443", "ping {} failed"}},
      {"CRYPTO", [](Rng& r) { return r() % 2 ? base58check(r) : bech32_address(r); }, {"Send the BTC to {} please.", "wallet: {}", "donations: {}"}},
      {"AWS_ACCESS_KEY", [](Rng& r) { return "AKIA" + chars(r, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"); }, {"aws_access_key_id = {}", "The key {} leaked.", "export AWS_ACCESS_KEY_ID={}"}},
      {"AWS_SECRET_KEY", [](Rng& r) { std::string s; do { s = chars(r, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"); } while (s.find_first_of("0123456789") == std::string::npos); return s; }, {"aws_secret_access_key = {}", "AWS_SECRET_ACCESS_KEY={}"}},
      {"GITHUB_TOKEN", [](Rng& r) { return std::string(r() % 2 ? "ghp_" : "gho_") + chars(r, 36, kAlnum); }, {"token: {}", "git remote set-url origin https://x:{}@github.com/acme/app", "GH_TOKEN={}"}},
      {"SLACK_TOKEN", [](Rng& r) { return "xoxb-" + digits(r, 12) + "-" + digits(r, 13) + "-" + chars(r, 24, kAlnum); }, {"SLACK_BOT_TOKEN={}", "the bot uses {} to post"}},
      {"JWT", jwt, {"Authorization: Bearer {}", "session={}; Path=/", "id_token: {}"}},
      {"API_KEY", [](Rng& r) { std::string s; do { s = chars(r, 32, kAlnum); } while (s.find_first_of("0123456789") == std::string::npos); return s; }, {"api_key: \"{}\"", "X-API-Key: {}", "client_secret={}", "set API_KEY={} in the env"}},
      {"PASSWORD", [](Rng& r) { return chars(r, 6, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz") + digits(r, 2) + chars(r, 1, "!#%&*") ; }, {"password={}", "DB_PASSWORD: {}", "my password is {}", "Passwort: {}", "mot de passe : {}"}},
      {"PERSON", person, {"Dear {}, thank you for your order.", "Mr. {} will join the call.", "Name: {}", "From: {} <noreply@example.com>", "Kind regards,\n{}", "Sehr geehrte Frau {}, anbei die Unterlagen.", "Bonjour {}, merci.", "Hola {}, gracias.", "signed by {} yesterday", "I met {} at the conference.", "{} approved the budget."}},
      {"DATE_TIME", [](Rng& r) { char b[32]; int d = 1 + r() % 28, m = 1 + r() % 12, y = 1940 + r() % 65; if (r() % 2) std::snprintf(b, sizeof b, "%02d/%02d/%d", d, m, y); else std::snprintf(b, sizeof b, "%d-%02d-%02d", y, m, d); return std::string(b); }, {"Date of birth: {}", "DOB {}", "born on {} in Ohio", "Geburtsdatum: {}"}},
      {"LOCATION", [](Rng& r) { const char* s[] = {"Baker Street", "Oak Avenue", "Elm Road", "Sunset Boulevard"}; const char* de[] = {"Hauptstraße", "Bahnhofstraße", "Lindenweg", "Keizersgracht", "Schillerplatz"}; const char* it[] = {"Via Roma", "Calle Mayor", "Piazza Garibaldi", "Avenida de América"}; switch (r() % 4) { case 0: return std::to_string(1 + r() % 999) + " " + s[r() % 4]; case 1: return std::string(de[r() % 5]) + " " + std::to_string(1 + r() % 120); case 2: return std::string(it[r() % 4]) + " " + std::to_string(1 + r() % 99); default: return std::to_string(1 + r() % 99) + " rue de Rivoli"; } }, {"Ship it to {}, please.", "Adresse: {}, Berlin", "She lives at {}."}},
  };
}

const char* const kFiller[] = {
    "The quarterly numbers look better than expected.", "Let me know if the timeline works for you.",
    "We shipped version 2.4.1 last week.", "Order #48213 was delivered on 2024-03-15.",
    "Die Besprechung wurde auf Donnerstag verschoben.", "Merci pour votre retour rapide.",
    "The build took 12 minutes and 35 seconds.", "Use std::vector<int> instead of raw arrays.",
    "2024-03-15T10:23:45.123Z INFO request_id=8f14e45f status=200 latency_ms=134",
    "See ISBN 978-3-16-148410-0 for the reference.", "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "uuid 550e8400-e29b-41d4-a716-446655440000", "Tracking number 1Z999AA10123456784 in transit.",
    "Invoice 2024-001234 totals 1,234.56 EUR.", "The card ending 1111 was declined.",
    "Ticket 4111111111111112 is closed.", "version 10.0.19041.1 is installed", "Call the team at 10:30.",
    "sha1: da39a3ee5e6b4b0d3255bfef95601890afd80709", "Meeting on 15.03.2024 at 14:00 in room 204.",
    "The token is refreshed every hour.", "Hi Team, the build is green again.", "Hello World examples are fine.",
    "We moved to Via Roma last year.", "Ports 8080 and 8443 are open.", "Temperature was 21.5 degrees.",
};

}  // namespace

std::vector<Document> generate_corpus(size_t documents, uint64_t seed) {
  if (sodium_init() < 0) return {};
  Rng rng(seed);
  const auto tmpl = templates();
  std::vector<Document> docs;
  docs.reserve(documents);
  for (size_t d = 0; d < documents; ++d) {
    Document doc;
    const int sentences = 1 + static_cast<int>(rng() % 4);
    for (int s = 0; s < sentences; ++s) {
      if (!doc.text.empty()) doc.text += rng() % 4 == 0 ? "\n" : " ";
      if (rng() % 3 == 0) {
        doc.text += pick(rng, kFiller);
        continue;
      }
      const Template& t = tmpl[rng() % tmpl.size()];
      const std::string sentence = t.sentences[rng() % t.sentences.size()];
      const std::string value = t.value(rng);
      const size_t hole = sentence.find("{}");
      doc.text += sentence.substr(0, hole);
      GoldSpan g{doc.text.size(), doc.text.size() + value.size(), t.type};
      doc.text += value;
      doc.text += sentence.substr(hole + 2);
      doc.spans.push_back(g);
      // "From: NAME <noreply@example.com>" also carries an address.
      const size_t mail = sentence.find("noreply@example.com");
      if (mail != std::string::npos) {
        size_t at = g.end + (mail - hole - 2);
        doc.spans.push_back(GoldSpan{at, at + 19, "EMAIL_ADDRESS"});
      }
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

void score_document(const Document& doc, const std::vector<Prediction>& predicted,
                    std::map<std::string, TypeScore>& scores) {
  std::vector<bool> matched(doc.spans.size(), false);
  for (const auto& p : predicted) {
    bool hit = false;
    for (size_t i = 0; i < doc.spans.size(); ++i) {
      const auto& g = doc.spans[i];
      if (!matched[i] && g.start == p.start && g.end == p.end && g.type == p.type) {
        matched[i] = hit = true;
        break;
      }
    }
    if (hit) scores[p.type].true_positives++;
    else scores[p.type].false_positives++;
  }
  for (size_t i = 0; i < doc.spans.size(); ++i) {
    if (!matched[i]) scores[doc.spans[i].type].false_negatives++;
  }
}

}  // namespace warden::policy::eval
