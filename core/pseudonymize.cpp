#include "core/pseudonymize.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <optional>
#include <sys/stat.h>

#include "core/error.hpp"
#include "core/text_file.hpp"

namespace cie {
namespace {

/// Wipes the key's bytes when it is replaced or at exit.
struct SecretKey {
  std::string bytes;
  ~SecretKey() { wipe(); }
  void wipe() noexcept {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.clear();
  }
};

std::mutex key_mutex;
SecretKey process_key;

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};

/// An HMAC-SHA-256 context keyed once and reinitialised (same key) for each id.
class Hmac {
 public:
  explicit Hmac(std::string_view key) {
    std::unique_ptr<EVP_MAC, MacDeleter> const mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (mac) ctx_.reset(EVP_MAC_CTX_new(mac.get()));
    std::array<char, 7> digest = {'S', 'H', 'A', '2', '5', '6', '\0'};
    std::array<OSSL_PARAM, 2> const params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx_ || EVP_MAC_init(ctx_.get(), reinterpret_cast<unsigned char const*>(key.data()),
                              key.size(), params.data()) != 1) {
      fail(ExitCode::kInternal, "OpenSSL cannot set up HMAC-SHA-256");
    }
  }

  /// The hash of `id` as 64 hex digits.
  std::string hex(std::string_view id) {
    std::array<unsigned char, 32> mac{};
    std::size_t length = 0;
    // A null key keeps the key given at construction.
    if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(ctx_.get(), reinterpret_cast<unsigned char const*>(id.data()), id.size()) !=
            1 ||
        EVP_MAC_final(ctx_.get(), mac.data(), &length, mac.size()) != 1 || length != mac.size()) {
      fail(ExitCode::kInternal, "OpenSSL failed to compute HMAC-SHA-256");
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * mac.size(), '0');
    for (std::size_t i = 0; i < mac.size(); ++i) {
      out[2 * i] = kDigits[mac[i] >> 4];
      out[2 * i + 1] = kDigits[mac[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx_;
};

}  // namespace

void set_pseudonym_key_file(std::string const& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    fail(ExitCode::kUsage, "--pseudonymize-ids: cannot read key file {}: {}", path,
         std::strerror(errno));
  }
  CIE_EXPECTS(!S_ISREG(info.st_mode) || (info.st_mode & 077) == 0,
              "--pseudonymize-ids: key file {} may be read by group or others (mode {:04o}); "
              "make it private with chmod 600",
              path, info.st_mode & 07777);
  std::string key = read_text_file(path, kMaxPseudonymKeyBytes);
  if (key.size() < kMinPseudonymKeyBytes) {
    std::size_t const size = key.size();
    OPENSSL_cleanse(key.data(), key.size());
    fail(ExitCode::kUsage,
         "--pseudonymize-ids: key file {} holds {} bytes; a key needs at least {} (make one with "
         "head -c 32 /dev/urandom)",
         path, size, kMinPseudonymKeyBytes);
  }
  set_pseudonym_key(key);
  OPENSSL_cleanse(key.data(), key.size());
}

void set_pseudonym_key(std::string_view key) {
  std::lock_guard const lock(key_mutex);
  process_key.wipe();
  process_key.bytes.assign(key);
}

bool pseudonymizing_ids() noexcept {
  std::lock_guard const lock(key_mutex);
  return !process_key.bytes.empty();
}

std::string keyed_id_hash(std::string_view key, std::string_view id) { return Hmac(key).hex(id); }

void pseudonymize_ids(std::vector<std::string>& ids) {
  std::string key;
  {
    std::lock_guard const lock(key_mutex);
    key = process_key.bytes;
  }
  if (key.empty()) return;
  auto const count = static_cast<std::ptrdiff_t>(ids.size());
  bool failed = false;
  // Every thread reaches the loop (a worksharing loop must be met by all); failures are noted.
#pragma omp parallel
  {
    std::optional<Hmac> hmac;
    try {
      hmac.emplace(key);
    } catch (...) {
#pragma omp atomic write
      failed = true;
    }
#pragma omp for schedule(static)
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      if (!hmac) continue;
      try {
        ids[static_cast<std::size_t>(i)] = hmac->hex(ids[static_cast<std::size_t>(i)]);
      } catch (...) {
#pragma omp atomic write
        failed = true;
      }
    }
  }
  OPENSSL_cleanse(key.data(), key.size());
  if (failed) fail(ExitCode::kInternal, "OpenSSL failed to compute HMAC-SHA-256");
}

}  // namespace cie
