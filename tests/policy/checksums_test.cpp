#include <catch2/catch.hpp>

#include <random>
#include <string>

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

TEST_CASE("checksums: entropy_at_least answers exactly as shannon_entropy", "[policy][checksums]") {
  // Strings around the thresholds the validators use (3.2 and 3.5 bits), from few to many
  // distinct bytes, and exact boundaries: 8 distinct bytes once each is exactly 3 bits.
  std::mt19937_64 rng(5);
  size_t above = 0, below = 0;
  for (int round = 0; round < 20000; ++round) {
    const size_t size = rng() % 60;
    const size_t alphabet = 1 + rng() % 40;
    std::string s;
    for (size_t k = 0; k < size; ++k) s.push_back(static_cast<char>('!' + rng() % alphabet));
    for (double bits : {0.0, 3.0, 3.2, 3.5, 4.0}) {
      const bool expected = shannon_entropy(s) >= bits;
      INFO(s << " " << bits);
      REQUIRE(entropy_at_least(s, bits) == expected);
      (expected ? above : below) += 1;
    }
  }
  CHECK(entropy_at_least("abcdefgh", 3.0) == (shannon_entropy("abcdefgh") >= 3.0));
  CHECK(above > 1000);
  CHECK(below > 1000);
}

TEST_CASE("checksums: iban_valid equals the mod-97 rule digit by digit", "[policy][checksums]") {
  // The reference: IBAN with its first four characters moved to the end, letters as 10..35,
  // reduced mod 97 after every digit; valid when 1 (and the country length fits).
  auto reference = [](const std::string& iban) {
    const std::string rearranged = iban.substr(4) + iban.substr(0, 4);
    int rem = 0;
    for (char c : rearranged)
      rem = c <= '9' ? (rem * 10 + (c - '0')) % 97 : (rem * 100 + (c - 'A' + 10)) % 97;
    return rem == 1 && iban_length(iban.substr(0, 2)) == static_cast<int>(iban.size());
  };
  std::mt19937_64 rng(9);
  const std::string countries[] = {"DE", "GB", "FR", "NL", "IT", "NO", "MT"};
  size_t valid = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string& country = countries[rng() % 7];
    std::string iban = country;
    const int length = iban_length(country) + static_cast<int>(rng() % 3) - 1;
    while (static_cast<int>(iban.size()) < length) {
      const bool digit = iban.size() < 4 || rng() % 4 != 0;
      iban.push_back(digit ? static_cast<char>('0' + rng() % 10) : static_cast<char>('A' + rng() % 26));
    }
    if (round % 2 == 0 && static_cast<int>(iban.size()) == iban_length(country))  // make about half valid
      iban = iban_with_check_digits(country, iban.substr(4));
    INFO(iban);
    REQUIRE(iban_valid(iban) == reference(iban));
    valid += iban_valid(iban);
  }
  CHECK(valid > 3000);
}
