#include "occhat/server/operator.hpp"

#include "credentials.hpp"
#include "file_storage.hpp"
#include "validation.hpp"

namespace occhat::server {

std::string store_location(const ServerOptions& options) {
  return options.store.empty() ? "sqlite:" + (options.data_dir / "occhat.db").string() : options.store;
}

std::filesystem::path files_location(const ServerOptions& options) {
  return options.files_dir.empty() ? options.data_dir / "files" : options.files_dir;
}

std::unique_ptr<store::Store> open_operator_store(const ServerOptions& options) {
  return store::open_store(store_location(options), {.durability = options.fsync_commits ? store::Durability::disk
                                                                                          : store::Durability::process});
}

void delete_user_as_operator(store::Store& store, const ServerOptions& options, std::uint32_t user_id) {
  const store::DeletedUser deleted = store.delete_user(user_id);
  store.record_account_event(user_id);
  // Room events (members told the user left) wait in their inboxes: a running server does not
  // push them, they arrive with the next fetch.
  FileStorage files(files_location(options));
  for (const std::uint64_t id : deleted.removed_files) files.remove_published(id);
  for (const std::uint64_t id : deleted.removed_uploads) files.remove_part(id);
}

std::string hash_new_password(std::string_view password) {
  validate_password(password);
  init_crypto();
  return hash_password(password);
}

}  // namespace occhat::server
