#include "policy/builtin_patterns.h"

#include <cstdio>
#include <set>

#include "policy/given_names.h"

// The table below leaves the trailing fields (gate, start) to their defaults and sets
// them after the entry where needed.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace warden::policy {

std::string regex_escape_latin1(std::string_view literal) {
  std::string out;
  for (unsigned char c : literal) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x80) {
      out += "[\\x80-\\xff]";  // case folding differs between UTF-8 and Latin-1 modes
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string literal_prefix_alternation(const std::vector<std::string>& literals) {
  std::set<std::string> prefixes;
  for (const auto& lit : literals) {
    for (size_t n = 1; n < lit.size(); ++n) prefixes.insert(regex_escape_latin1(lit.substr(0, n)));
  }
  std::string out = "(?i:";
  bool first = true;
  for (const auto& p : prefixes) {
    if (!first) out.push_back('|');
    out += p;
    first = false;
  }
  out += ")";
  return prefixes.empty() ? std::string() : out;
}

namespace {

std::string join_utf8(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.push_back('|');
    for (char c : w) {
      if (c == '.' || c == ' ' || c == '\'' || c == '-') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

std::string join_latin1(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.push_back('|');
    out += regex_escape_latin1(w);
  }
  return out;
}

// A cue-led pattern: case-insensitive cue words at a word start, then `detect_tail`.
// Pending: any prefix of a cue, or a whole cue followed by `pending_tail`.
PatternSpec cue_pattern(EntityId type, const std::vector<std::string>& cues,
                        const std::string& detect_tail, const std::string& pending_tail,
                        int max_len, double score, ValidatorFn validate) {
  PatternSpec p;
  p.type = type;
  p.regex = "(?i:\\b(?:" + join_utf8(cues) + "))" + detect_tail;
  p.pending = "\\b" + literal_prefix_alternation(cues) + "|\\b(?i:(?:" + join_latin1(cues) +
              "))" + pending_tail;
  p.max_len = max_len;
  p.score = score;
  p.validate = validate;
  p.start.shape = StartShape::kCue;
  p.start.case_insensitive = true;
  for (const auto& c : cues) {
    std::string lowered;
    for (char ch : c) lowered.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch);
    p.start.literals.push_back(lowered);
  }
  return p;
}

StartRule literals(std::vector<std::string> l, bool case_insensitive = false) {
  StartRule r;
  r.shape = StartShape::kLiterals;
  r.literals = std::move(l);
  r.case_insensitive = case_insensitive;
  return r;
}

StartRule shape(StartShape s, int min_digits = 0) {
  StartRule r;
  r.shape = s;
  r.min_digits = min_digits;
  return r;
}

// Name: capitalised words, two to three of them, optional middle initial.
const char* kName =
    R"((\p{Lu}[\p{L}'’\-]{0,30}\p{Ll}(?:[ ](?:\p{Lu}\.[ ])?(?:(?:van|von|de|der|den|di|da|del|la|le|du|dos|das|ter|ten)[ ]){0,2}\p{Lu}[\p{L}'’\-]{0,30}\p{Ll})?))";
// Every prefix of a name: capitalised words, lower-case particles of up to 3 letters
// ("van der", "de") between them.
#define WARDEN_CAPW R"([A-Z\x80-\xff][A-Za-z\x80-\xff'\-.]{0,34})"
const char* kNamePending =
    "(?:" WARDEN_CAPW R"((?:[ ](?:[a-z]{1,3}[ ]){0,3}(?:[a-z]{1,3}|)" WARDEN_CAPW ")?){0,3})?";
#undef WARDEN_CAPW

// For a pattern that ends with kName (see PatternSpec::value_prefix): cue words and
// separators that end in a space, ':', '=', a quote, ',' or a line break, then a name that
// starts with a capital letter.
void split_name_value(PatternSpec& p) {
  const std::string_view name(kName);
  if (p.regex.size() > name.size() && std::string_view(p.regex).substr(p.regex.size() - name.size()) == name)
    p.value_prefix = p.regex.substr(0, p.regex.size() - name.size());
}

// The same for a cue pattern whose tail ends with the capturing group `value`, the only
// group (separators and quotes before it; the value never starts with one of them but for
// '=' and ':', where the longest separator wins).
void split_value(PatternSpec& p, const std::string& value) {
  if (p.regex.size() > value.size() && std::string_view(p.regex).substr(p.regex.size() - value.size()) == value)
    p.value_prefix = p.regex.substr(0, p.regex.size() - value.size());
}

std::vector<PatternSpec> build() {
  std::vector<PatternSpec> v;
  auto add = [&](PatternSpec p) { v.push_back(std::move(p)); };

  // --- secrets ---------------------------------------------------------------------
  add({kAwsAccessKey, -1,
       R"(\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b)",
       R"(\bA[A-Z0-9]{0,21})", 24, 0.95, validate_token_boundary, {}, 0, {}});
  v.back().start = literals({"AKIA", "ASIA", "ABIA", "ACCA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AGPA"});
  {
    PatternSpec p = cue_pattern(
        kAwsSecretKey,
        {"aws_secret_access_key", "aws secret access key", "aws_secret_key", "aws secret key",
         "secret_access_key", "secretaccesskey", "aws_secret", "aws secret"},
        R"(["']?[ ]{0,3}(?:[:=]|=>|:=)?[ ]{0,3}["']?([A-Za-z0-9/+=]{40}))",
        R"([ "':=>]{0,12}[A-Za-z0-9/+=]{0,42})", 96, 0.9, validate_aws_secret);
    split_value(p, R"(([A-Za-z0-9/+=]{40}))");
    add(p);
  }
  add({kGithubToken, -1,
       R"(\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{82}\b)",
       R"(\b(?:g|gh|gh[pousr]|gh[pousr]_[A-Za-z0-9]{0,37}|gi|git|gith|githu|github|github_|github_p|github_pa|github_pat|github_pat_[A-Za-z0-9_]{0,83}))",
       100, 0.99, validate_token_boundary, {}, 0, {}});
  v.back().start = literals({"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"});
  add({kSlackToken, -1,
       R"(\bxox[abposr]-[0-9A-Za-z]{1,64}(?:-[0-9A-Za-z]{1,64}){1,4}\b|https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{16,32})",
       R"(\bx(?:o(?:x(?:[abposr](?:-[0-9A-Za-z\-]{0,330})?)?)?)?|(?i:h|ht|htt|http|https|https:|https:/|https://[^\s<>"'\x60]{0,140}))",
       340, 0.95, validate_token_boundary, {}, 0, {}});
  v.back().gate = R"(\bxox[abposr]-[0-9A-Za-z]|https://hooks\.slack\.com/services/)";
  v.back().start = literals({"xox", "https://hooks.slack.com/"});
  add({kJwt, -1,
       R"(\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{10,})",
       R"(\be(?:y(?:J[A-Za-z0-9_\-.]*)?)?)", 6020, 0.95, validate_jwt, {}, 0, {}});
  v.back().gate = R"(\beyJ[A-Za-z0-9_\-]{5})";
  v.back().start = literals({"eyJ"});
  add({kApiKey, -1,
       R"(\b(?:sk-(?:proj-)?[A-Za-z0-9_\-]{20,120}|sk_live_[A-Za-z0-9]{20,100}|rk_live_[A-Za-z0-9]{20,100}|AIza[0-9A-Za-z_\-]{35}|glpat-[0-9A-Za-z_\-]{20})\b)",
       R"(\b(?:s|sk|sk[-_][A-Za-z0-9_\-]{0,130}|r|rk|rk_[A-Za-z0-9_]{0,110}|A|AI|AIz|AIza[0-9A-Za-z_\-]{0,36}|g|gl|glp|glpa|glpat|glpat-[0-9A-Za-z_\-]{0,21}))",
       140, 0.9, validate_token_boundary, {}, 0, {}});
  v.back().start = literals({"sk-", "sk_live_", "rk_live_", "AIza", "glpat-"});
  add(cue_pattern(kApiKey,
                  {"api_key", "api-key", "api key", "apikey", "api_token", "api-token",
                   "access_token", "access-token", "access token", "auth_token", "auth-token",
                   "secret_key", "secret-key", "client_secret", "client-secret",
                   "private_token", "token", "secret", "bearer", "x-api-key"},
                  R"(["']?[ ]{0,3}(?:[:=]|=>|:=)?[ ]{0,3}["']?([A-Za-z0-9_\-.+/=]{16,200}))",
                  R"([ "':=>]{0,12}[A-Za-z0-9_\-.+/=]{0,202})", 240, 0.8, validate_api_key));
  split_value(v.back(), R"(([A-Za-z0-9_\-.+/=]{16,200}))");
  add(cue_pattern(kPassword,
                  {"password", "passwd", "pwd", "pass", "passphrase", "passwort", "kennwort",
                   "mot de passe", "contraseña", "contrasena", "wachtwoord", "db_password",
                   "db_pass", "admin_password"},
                  R"(["']?[ ]{0,3}(?:[:=]|=>|:=|[ ]is|[ ]ist|[ ]est|[ ]es|[ ]è)[ ]{0,3}["']?([^\s"',;<>]{4,128}))",
                  R"([ "':=>]{0,12}(?:[a-z]{0,3}|\xc3|\xc3\xa8)[ "']{0,5}[^\s"',;<>]{0,130})", 170, 0.9,
                  validate_password));
  split_value(v.back(), R"(([^\s"',;<>]{4,128}))");

  // --- financial and identity numbers --------------------------------------------
  add({kCreditCard, -1, R"(\b\d(?:[ \-]?\d){12,18}\b)", R"(\b[0-9][0-9 \-]{0,42})", 44, 0.85,
       validate_credit_card,
       {"card", "credit", "visa", "mastercard", "amex", "payment", "kreditkarte", "carte",
        "tarjeta", "carta", "kaart", "cc"},
       0.15, {"order", "invoice", "tracking", "isbn", "serial", "ref"}});
  v.back().start = shape(StartShape::kCardLike, 13);
  v.back().shape_match = match_card_number;
  add({kIbanCode, -1, R"(\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b)", R"(\b[A-Z][A-Z0-9 ]{0,55})",
       56, 0.9, validate_iban, {"iban", "account", "konto", "compte", "cuenta", "conto", "rekening"},
       0.1, {}});
  v.back().start = shape(StartShape::kIban);
  v.back().shape_match = match_iban;
  add({kUsSsn, -1, R"(\b\d{3}[ \-]?\d{2}[ \-]?\d{4}\b)", R"(\b[0-9][0-9 \-]{0,14})", 16, 0.5,
       validate_ssn, {"ssn", "social security", "ss#", "taxpayer", "tin"}, 0.4,
       {"order", "invoice", "isbn", "ref", "ticket"}});
  v.back().start = shape(StartShape::kSsn);
  v.back().shape_match = match_us_ssn;
  add({kCrypto, -1,
       R"(\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b|\b(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}\b)",
       R"(\b[13][1-9A-HJ-NP-Za-km-z]{0,36}|\b(?i:b|bc|bc1[02-9ac-hj-np-z]{0,73}))", 80, 0.95,
       validate_btc, {}, 0, {}});
  v.back().start = shape(StartShape::kCrypto);

  // --- contact data ---------------------------------------------------------------
  add({kEmailAddress, -1,
       R"(\b[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,24}\b)",
       R"(\b[A-Za-z0-9][A-Za-z0-9._%+\-@]{0,480})", 490, 0.95, validate_email, {}, 0, {}});
  v.back().gate = R"(\b[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9])";
  v.back().start = shape(StartShape::kEmail);
  add({kPhoneNumber, -1,
       R"((?:\+|00)?\(?\d[\d ().\-/]{5,22}\d(?:[ ]{0,2}(?:x|ext\.?|extension|#)[ ]{0,2}\d{1,6})?)",
       R"([+(0-9][0-9 ().\-/extnsioEXTNSIO#:,]{0,50})", 52, 0.6, validate_phone,
       {"phone", "tel:", "tel.", "tel ", "telephone", "call", "mobile", "cell", "fax", "contact", "reach",
        "whatsapp", "handy", "telefon", "téléphone", "portable", "móvil", "movil", "telefono",
        "cellulare", "bellen", "mobiel", "ring", "number"},
       0.25,
       {"order", "invoice", "ref", "reference", "account", "acct", "isbn", "serial",
        "tracking", "ticket", "transaction", "sku", "version", "build", "id", "no.", "nr"}});
  v.back().start = shape(StartShape::kPhone);
  add({kIpAddress, -1, R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", R"(\b[0-9][0-9.\-]{0,22})", 24, 0.75,
       validate_ipv4, {"ip", "address", "host", "server", "client"}, 0.1,
       {"version", "ver", "release", "build", "oid", "v."}});
  v.back().start = shape(StartShape::kIpv4);
  v.back().shape_match = match_ipv4;
  add({kIpAddress, -1, R"([0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{0,39})",
       R"([0-9A-Fa-f:][0-9A-Fa-f:.]{0,49})", 52, 0.8, validate_ipv6, {}, 0, {}});
  v.back().start = shape(StartShape::kIpv6);
  {
    PatternSpec url;
    url.type = kUrl;
    url.also_emits = kPassword;
    url.regex = R"((?i:\b(?:https?|ftp|wss?)://|\bwww\.)[^\s<>"'\x60]{2,})";
    url.gate = R"((?i:\b(?:https?|ftp|wss?)://|\bwww\.)[^\s<>"'\x60]{2})";
    url.pending =
        R"(\b(?i:h|ht|htt|http|https|https?:|https?:/|f|ft|ftp|ftp:|ftp:/|w|ws|wss|wss?:|wss?:/|ww))"
        R"(|\b(?i:https?|ftp|wss?)://[^\s<>"'\x60]*|\b(?i:www)\.[^\s<>"'\x60]*)";
    url.max_len = 2100;
    url.score = 0.6;
    url.validate = validate_url;
    url.start = literals({"http://", "https://", "ftp://", "ws://", "wss://", "www."}, true);
    add(url);
  }

  // --- personal data with context ----------------------------------------------------
  add(cue_pattern(kDateTime,
                  {"date of birth", "birth date", "birthdate", "birthday", "born on", "born",
                   "dob", "d.o.b.", "geburtsdatum", "geboren am", "geboren", "née le", "né le",
                   "date de naissance", "fecha de nacimiento", "nacido el", "nacida el",
                   "data di nascita", "nato il", "nata il", "geboortedatum", "geboren op"},
                  R"([ ]{0,2}[:\-]?[ ]{0,2}(\d{4}-\d{2}-\d{2}|\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{1,2}(?:st|nd|rd|th)?\.?[ ](?:de[ ])?\p{L}{3,10}\.?,?[ ](?:de[ ])?\d{4}|\p{L}{3,10}\.?[ ]\d{1,2}(?:st|nd|rd|th)?,?[ ]\d{4}))",
                  R"([ :\-]{0,5}[0-9A-Za-z\x80-\xff./\-, ]{0,34})", 80, 0.85, validate_birth_date));
  add(cue_pattern(kPerson,
                  {"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "herr", "frau", "mme", "mlle",
                   "monsieur", "madame", "sr", "sra", "srta", "señor", "señora", "sig", "sig.ra",
                   "signor", "signora", "dhr", "mevr", "mevrouw"},
                  std::string(R"(\.?[ ]{1,2})") + kName,
                  std::string(R"(\.?[ ]{0,2})") + kNamePending, 120, 0.85, validate_person));
  v.back().start.follow = CueFollow::kCapital;
  split_name_value(v.back());
  add(cue_pattern(kPerson,
                  {"full name", "full_name", "first name", "first_name", "last name", "last_name",
                   "surname", "name", "customer", "patient", "employee", "contact", "applicant",
                   "nom", "nombre", "nome", "naam", "von", "from", "to", "cc", "bcc", "reply-to",
                   "sender", "an", "de", "para", "da", "van", "aan"},
                  std::string(R"([ ]{0,2}[:=][ ]{0,2}["']?)") + kName,
                  std::string(R"((?:[ ]{0,2}|[ ]{0,2}[:=][ ]{0,2}["']?)") + kNamePending + ")", 130, 0.85,
                  validate_person));
  v.back().start.follow = CueFollow::kSeparator;
  split_name_value(v.back());
  add(cue_pattern(kPerson,
                  {"dear", "hi", "hello", "hey", "thanks", "thank you", "regards", "best regards",
                   "kind regards", "cheers", "sincerely", "liebe", "lieber", "hallo", "bonjour",
                   "cher", "chère", "hola", "estimado", "estimada", "ciao", "gentile", "beste",
                   "hoi", "signed by", "written by", "reported by", "assigned to", "approved by",
                   // verbs whose object is a person ("I met Anna Schmidt"); not frequent words such
                   // as "ask" or "call": every cue word costs scanning time where it occurs
                   "met", "met with", "spoke with", "spoke to", "talked to", "wrote to"},
                  std::string(R"((?:[ ,]{1,3}|,[ ]?\r?\n))") + kName,
                  std::string(R"([ ,\r\n]{0,4})") + kNamePending, 140, 0.7, validate_person));
  v.back().start.follow = CueFollow::kCapital;
  v.back().score = 0.7;
  split_name_value(v.back());

  // Names without a cue ("Anna Schmidt approved ..."): a common given name and a
  // capitalised surname, scored below the cue patterns (policy/given_names.h).
  {
    const std::vector<std::string>& names = common_given_names();
    PatternSpec p;
    p.type = kPerson;
    p.regex = "\\b(?:" + join_utf8(names) +
              R"()[ ](?:(?:van|von|de|der|den|di|da|del|la|le|du|dos|das|ter|ten)[ ]){0,2}\p{Lu}[\p{L}'’\-]{0,30}\p{Ll})";
    p.pending = kNamePending;  // every prefix of a match is a run of capitalised words
    p.max_len = 100;
    p.score = 0.65;
    p.validate = validate_given_name_person;
    p.start = literals(names);
    add(p);
  }

  // --- street addresses -----------------------------------------------------------------
  add({kLocation, -1,
       R"(\b\d{1,5}[A-Za-z]?[ ](?:\p{Lu}\p{Ll}+[ ]){1,3}(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Square|Parkway|Highway|Close|Crescent|Row|Gardens)\b|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Sq|Pkwy|Hwy)\b\.?))",
       R"(\b[0-9]{1,5}[A-Za-z]?(?:[ ][A-Z\x80-\xff][A-Za-z\x80-\xff]{0,30}){0,4}[ .]?)", 110,
       0.75, nullptr, {"address", "lives at", "located at", "ship to", "street"}, 0.1, {}});
  v.back().start = shape(StartShape::kStreetNumber);
  add({kLocation, -1,
       R"(\b\p{Lu}\p{Ll}{2,30}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|laan|straat|plein|gracht|kade|singel|dijk)[ ]\d{1,4}[a-z]?\b)",
       R"(\b[A-Z\x80-\xff][a-z\x80-\xff]{0,44}\.?(?:[ ][0-9]{0,4}[a-z]?)?)", 60, 0.75, nullptr,
       {"adresse", "address", "anschrift", "adres", "wohnt"}, 0.1, {}});
  v.back().start = shape(StartShape::kCompoundStreet);
  add(cue_pattern(kLocation,
                  {"via", "viale", "piazza", "corso", "calle", "avenida", "plaza", "paseo",
                   "carrer", "rua"},
                  R"([ ](?:(?:de la|del|de|della|delle|dei|di)[ ])?\p{Lu}[\p{L}'\-]{1,30}(?:[ ]\p{Lu}[\p{L}'\-]{1,30}){0,2},?[ ]\d{1,4}[a-zA-Z]?\b)",
                  R"([ A-Za-z\x80-\xff'\-,]{0,90}[0-9]{0,4}[a-zA-Z]?)", 120, 0.75, nullptr));
  {
    PatternSpec fr = cue_pattern(
        kLocation, {"rue", "avenue", "boulevard", "allée", "impasse", "chemin", "quai"},
        R"([ ](?:(?:de la|de l'|du|des|de|d')[ ]?)?\p{Lu}[\p{L}'\-]{1,30}(?:[ ]\p{Lu}[\p{L}'\-]{1,30}){0,2})",
        R"([ A-Za-z\x80-\xff'\-]{0,100})", 120, 0.75, nullptr);
    // French addresses lead with the house number: "12 rue de Rivoli".
    fr.regex = R"(\b\d{1,4}(?:[ ]?(?:bis|ter))?,?[ ])" + fr.regex;
    fr.pending = R"(\b[0-9]{1,4}(?:[ ]?(?:b|bi|bis|t|te|ter))?,?(?:[ ](?:)" + fr.pending + R"()?)?)";
    fr.start = shape(StartShape::kFrenchStreet);
    add(fr);
  }
  return v;
}

}  // namespace

const std::vector<PatternSpec>& builtin_patterns() {
  static const std::vector<PatternSpec> kPatterns = build();
  return kPatterns;
}

}  // namespace warden::policy
