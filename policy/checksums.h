// Checksum and structure validators used by the detectors (pure functions, no state).
#pragma once

#include <string>
#include <string_view>

namespace warden::policy {

// Luhn mod-10 over the decimal digits of `digits` (only '0'..'9', at least 2).
bool luhn_valid(std::string_view digits);

// Card issuer recognised from the leading digits and total length (Visa, Mastercard,
// Amex, Discover, JCB, Diners, UnionPay, Maestro), or empty.
std::string_view card_issuer(std::string_view digits);

// `compact`: IBAN without spaces, upper case. Checks the country length table and mod-97.
bool iban_valid(std::string_view compact);
// IBAN length for a country code, or 0 when the country does not use IBANs.
int iban_length(std::string_view country);

// Bitcoin legacy address: base58check with double SHA-256, version 0x00 or 0x05, 25 bytes.
bool btc_base58_valid(std::string_view address);

// Bitcoin segwit address ("bc1..."): bech32 (v0) / bech32m (v1+) checksum and program size.
bool btc_bech32_valid(std::string_view address);

// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view s);
// shannon_entropy(s) >= bits, exactly; most high-entropy strings are settled by the
// min-entropy bound (log2 of length over the largest byte count) without any logarithm.
bool entropy_at_least(std::string_view s, double bits);

// Appends a Luhn check digit to a string of digits (used by test generators).
char luhn_check_digit(std::string_view digits_without_check);

// Computes the two IBAN check digits for a country code and BBAN (used by generators).
std::string iban_with_check_digits(std::string_view country, std::string_view bban);

}  // namespace warden::policy
