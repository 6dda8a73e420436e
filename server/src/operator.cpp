#include "occhat/server/operator.hpp"

#include "credentials.hpp"
#include "validation.hpp"

namespace occhat::server {

std::string store_location(const ServerOptions& options) {
  return options.store.empty() ? "sqlite:" + (options.data_dir / "occhat.db").string() : options.store;
}

std::unique_ptr<store::Store> open_operator_store(const ServerOptions& options) {
  return store::open_store(store_location(options), {.durability = options.fsync_commits ? store::Durability::disk
                                                                                          : store::Durability::process});
}

std::string hash_new_password(std::string_view password) {
  validate_password(password);
  init_crypto();
  return hash_password(password);
}

}  // namespace occhat::server
