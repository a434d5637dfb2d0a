#include <catch2/catch.hpp>

#include "policy/checksums.h"

using namespace warden::policy;

TEST_CASE("checksums: Luhn and issuers", "[policy][checksums]") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK(luhn_valid("378282246310005"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK(luhn_check_digit("411111111111111") == '1');
  CHECK(card_issuer("4111111111111111") == "visa");
  CHECK(card_issuer("5555555555554444") == "mastercard");
  CHECK(card_issuer("2223003122003222") == "mastercard");
  CHECK(card_issuer("378282246310005") == "amex");
  CHECK(card_issuer("6011111111111117") == "discover");
  CHECK(card_issuer("3530111333300000") == "jcb");
  CHECK(card_issuer("9111111111111111").empty());
}

TEST_CASE("checksums: IBAN", "[policy][checksums]") {
  CHECK(iban_valid("DE89370400440532013000"));
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK(iban_valid("NL91ABNA0417164300"));
  CHECK_FALSE(iban_valid("DE89370400440532013001"));
  CHECK_FALSE(iban_valid("DE8937040044053201300"));   // length table
  CHECK_FALSE(iban_valid("XX89370400440532013000"));  // unknown country
  CHECK(iban_with_check_digits("DE", "370400440532013000") == "DE89370400440532013000");
}

TEST_CASE("checksums: Bitcoin addresses", "[policy][checksums]") {
  CHECK(btc_base58_valid("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
  CHECK(btc_base58_valid("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
  CHECK_FALSE(btc_base58_valid("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
  // BIP-173 / BIP-350 vectors.
  CHECK(btc_bech32_valid("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
  CHECK(btc_bech32_valid("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"));
  CHECK(btc_bech32_valid("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"));
  CHECK_FALSE(btc_bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
  CHECK_FALSE(btc_bech32_valid("bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));  // mixed case
  // v1 with the bech32 (not bech32m) checksum is invalid (BIP-350).
  CHECK_FALSE(btc_bech32_valid("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx"));
}

TEST_CASE("checksums: entropy", "[policy][checksums]") {
  CHECK(shannon_entropy("aaaaaaaa") == Approx(0.0));
  CHECK(shannon_entropy("abcdefgh") == Approx(3.0));
}
