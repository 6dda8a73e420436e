// Client::block_user, unblock_user, blocked_users.

#include "client_impl.hpp"
#include "convert.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat {

void Client::block_user(UserId id) { impl_->call(proto::requests::block_user(id), wire::Envelope::kOk); }

void Client::unblock_user(UserId id) {
  impl_->call(proto::requests::block_user(id, /*unblock=*/true), wire::Envelope::kOk);
}

std::vector<UserInfo> Client::blocked_users() {
  return detail::from_wire(impl_->call(proto::requests::list_blocked(), wire::Envelope::kBlockedList).blocked_list());
}

}  // namespace occhat
