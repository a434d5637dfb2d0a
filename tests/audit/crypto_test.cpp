// Envelope encryption, key files and checkpoint signatures (no database needed).
#include <sodium.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "audit/checkpoint.h"
#include "audit/envelope.h"
#include "audit_fixture.h"

using namespace warden::audit;
using audit_test::TempDir;

TEST_CASE("a sealed record opens for each recipient and nobody else", "[audit][crypto]") {
  auto alice = generate_reviewer_key();
  auto bob = generate_reviewer_key();
  auto mallory = generate_reviewer_key();
  AuditRecord rec = audit_test::sample_record(7);
  SealedRecord sealed = seal_record(rec, {alice->public_key(), bob->public_key()});
  REQUIRE(sealed.header.record_id.size() == 32);
  REQUIRE(sealed.sealed_keys.size() == 2);
  CHECK(sealed.ciphertext.find("secret-7") == std::string::npos);
  CHECK(open_record(sealed, *alice) == rec.payload);
  CHECK(open_record(sealed, *bob) == rec.payload);
  REQUIRE_THROWS_WITH(open_record(sealed, *mallory), Catch::Contains("not sealed to reviewer key"));

  // Mallory relabels Alice's sealed key as her own: the sealed box still does not open.
  SealedRecord relabeled = sealed;
  relabeled.sealed_keys[0].reviewer_key_id = mallory->public_key().key_id;
  REQUIRE_THROWS_WITH(open_record(relabeled, *mallory), Catch::Contains("does not open"));
}

TEST_CASE("the gateway's signing key cannot open records", "[audit][crypto]") {
  auto alice = generate_reviewer_key();
  auto signing = generate_signing_key();
  SealedRecord sealed = seal_record(audit_test::sample_record(1), {alice->public_key()});
  // The only secret the gateway holds is its Ed25519 key; its X25519 form must not open the data key.
  unsigned char curve_sk[crypto_box_SECRETKEYBYTES];
  unsigned char curve_pk[crypto_box_PUBLICKEYBYTES];
  REQUIRE(crypto_sign_ed25519_sk_to_curve25519(curve_sk, signing->secret_bytes()) == 0);
  crypto_scalarmult_base(curve_pk, curve_sk);
  unsigned char data_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  const std::string& box = sealed.sealed_keys[0].sealed;
  CHECK(crypto_box_seal_open(data_key, reinterpret_cast<const unsigned char*>(box.data()), box.size(), curve_pk,
                             curve_sk) != 0);
}

TEST_CASE("altering ciphertext or header breaks payload authentication", "[audit][crypto]") {
  auto alice = generate_reviewer_key();
  SealedRecord sealed = seal_record(audit_test::sample_record(3), {alice->public_key()});
  SealedRecord bad_ct = sealed;
  bad_ct.ciphertext[5] ^= 1;
  CHECK_THROWS_WITH(open_record(bad_ct, *alice), Catch::Contains("authentication failed"));
  SealedRecord bad_header = sealed;
  bad_header.header.decision = "allowed";
  bad_header.header_text = canonical_header(bad_header.header);
  CHECK_THROWS_WITH(open_record(bad_header, *alice), Catch::Contains("authentication failed"));
}

TEST_CASE("canonical header round-trips and is order-stable", "[audit][crypto]") {
  AuditRecord r = audit_test::sample_record(10);
  r.header.record_id = "00112233445566778899aabbccddeeff";
  r.header.time_us = 1700000000123456;
  std::string text = canonical_header(r.header);
  CHECK(canonical_header(parse_header(text)) == text);
  CHECK(text.rfind("{\"record_id\":\"00112233445566778899aabbccddeeff\",\"time_us\":1700000000123456,", 0) == 0);
  CHECK(text.find("\"entity_counts\":{\"EMAIL\":1,\"IBAN\":1}") != std::string::npos);
  CHECK(format_time_us(1700000000123456) == "2023-11-14T22:13:20.123456Z");
  CHECK(parse_time("2023-11-14T22:13:20.123456Z") == 1700000000123456);
  CHECK(parse_time("2023-11-14") == 1699920000000000);
  CHECK_THROWS(parse_time("14/11/2023"));
  // Offsets are applied, not ignored; anything after the time is an error.
  CHECK(parse_time("2023-11-15T00:13:20.123456+02:00") == 1700000000123456);
  CHECK(parse_time("2023-11-14T17:13:20-05:00") == 1700000000000000);
  CHECK(parse_time("2023-11-14T22:13:20") == 1700000000000000);
  CHECK_THROWS(parse_time("2023-11-14T22:13:20Zjunk"));
  CHECK_THROWS(parse_time("2023-11-14x"));
  CHECK_THROWS(parse_time("2023-02-30"));
  CHECK_THROWS(parse_time("2023-11-14T22:13"));
}

TEST_CASE("reviewer key files: plain and passphrase-protected", "[audit][crypto]") {
  TempDir dir;
  auto key = generate_reviewer_key();
  write_reviewer_key_files(*key, dir.path / "plain", std::nullopt);
  write_reviewer_key_files(*key, dir.path / "locked", std::string("correct horse"));
  struct stat st {};
  REQUIRE(::stat((dir.path / "locked.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir.path / "plain.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  ReviewerPublicKey pub = load_reviewer_public_key(dir.path / "plain.pub");
  CHECK(pub.key_id == key->public_key().key_id);
  SealedRecord sealed = seal_record(audit_test::sample_record(2), {pub});
  auto plain = load_reviewer_secret_key(dir.path / "plain.key", std::nullopt);
  CHECK(open_record(sealed, *plain).at("answer").as_string() == "ok 2");
  auto unlocked = load_reviewer_secret_key(dir.path / "locked.key", std::string("correct horse"));
  CHECK(open_record(sealed, *unlocked).at("answer").as_string() == "ok 2");
  CHECK_THROWS_WITH(load_reviewer_secret_key(dir.path / "locked.key", std::string("wrong")),
                    Catch::Contains("wrong passphrase"));
  CHECK_THROWS_WITH(load_reviewer_secret_key(dir.path / "locked.key", std::nullopt),
                    Catch::Contains("passphrase is required"));
  // The locked file must not contain the secret key in any readable form.
  std::ifstream in(dir.path / "locked.key");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("\"secret_key\"") == std::string::npos);
}

TEST_CASE("checkpoint signatures: trusted, untrusted and forged", "[audit][crypto]") {
  auto gateway = generate_signing_key();
  auto other = generate_signing_key();
  std::string head(32, 'h');
  Checkpoint cp = sign_checkpoint("main", 42, head, "periodic", *gateway);
  CHECK(checkpoint_problem(cp, {gateway->public_key()}).empty());
  CHECK_THAT(checkpoint_problem(cp, {other->public_key()}), Catch::Contains("untrusted key"));
  Checkpoint moved = cp;
  moved.seq = 43;
  CHECK_THAT(checkpoint_problem(moved, {gateway->public_key()}), Catch::Contains("does not verify"));
  Checkpoint back = checkpoint_from_json(checkpoint_to_json(cp));
  CHECK(checkpoint_problem(back, {other->public_key(), gateway->public_key()}).empty());
}

TEST_CASE("admin and audit-access events keep their details encrypted", "[audit][crypto]") {
  auto alice = generate_reviewer_key();
  warden::core::Json details = warden::core::Json::object();
  details.set("query", "team=legal text=jane.doe@example.com");
  AuditRecord r = make_event_record("audit_access", "audit.search", "key-auditor", "compliance", "auditor", "ok", details);
  SealedRecord sealed = seal_record(r, {alice->public_key()});
  CHECK(sealed.header.kind == "audit_access");
  CHECK(sealed.header_text.find("jane.doe") == std::string::npos);
  CHECK(sealed.ciphertext.find("jane.doe") == std::string::npos);
  CHECK(open_record(sealed, *alice).at("details") == details);
}
