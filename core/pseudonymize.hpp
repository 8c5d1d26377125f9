// Pseudonymous customer ids (`cie --pseudonymize-ids KEYFILE`): while a key is set, every reader
// of customer data (transactions, customer tables) replaces each customer id by its keyed hash,
// so every output, every join and every message downstream carries the hash, never the id.
//
// The hash is HMAC-SHA-256 (OpenSSL's libcrypto) of the id's bytes under the key, written as 64
// lowercase hexadecimal digits: the same id gives the same hash in every run and every command
// with the same key, and Python's `hmac.new(key, id, hashlib.sha256).hexdigest()` gives it too.
// Without the key the ids cannot be recovered or even tested for (unlike a plain hash, which a
// dictionary of candidate ids reverses).
//
// Key file rules: a regular file, readable and writable by its owner only (no group or other
// permission bits: `chmod 600`), of 32 to 4096 bytes; its bytes as they are (a trailing newline
// is part of the key) are the key. `head -c 32 /dev/urandom > cie.key && chmod 600 cie.key`
// makes one. The key is never written to a message, a log or an output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cie {

/// The bounds on a key file's size.
inline constexpr std::size_t kMinPseudonymKeyBytes = 32;
inline constexpr std::size_t kMaxPseudonymKeyBytes = 4096;

/// Reads the key file at `path` and sets it process-wide. A usage error (exit 2) naming the file
/// (never its content) when it breaks a rule above.
void set_pseudonym_key_file(std::string const& path);
/// Sets the key from bytes (tests), or clears it with an empty key.
void set_pseudonym_key(std::string_view key);
/// Whether a key is set.
[[nodiscard]] bool pseudonymizing_ids() noexcept;

/// The keyed hash of `id` under `key` (64 lowercase hex digits).
[[nodiscard]] std::string keyed_id_hash(std::string_view key, std::string_view id);

/// With a key set, replaces every id by its keyed hash (in parallel on OpenMP's threads);
/// without one, does nothing.
void pseudonymize_ids(std::vector<std::string>& ids);

}  // namespace cie
