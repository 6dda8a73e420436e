// Client::change_password, set_nick, set_discoverable, sessions, logout_all, end_session,
// delete_account, find_users: what users manage about their own account.

#include "client_impl.hpp"
#include "convert.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat {

void Client::change_password(const std::string& current_password, const std::string& new_password) {
  impl_->call(proto::requests::change_password(current_password, new_password), wire::Envelope::kOk);
}

UserInfo Client::set_nick(const std::string& nick) {
  UserInfo user = detail::from_wire(impl_->call(proto::requests::set_nick(nick), wire::Envelope::kUserInfo).user_info());
  impl_->set_user(user);
  return user;
}

UserInfo Client::set_discoverable(bool discoverable) {
  const auto request = proto::requests::set_discoverable(discoverable);
  UserInfo user = detail::from_wire(impl_->call(request, wire::Envelope::kUserInfo).user_info());
  impl_->set_user(user);
  return user;
}

std::vector<SessionInfo> Client::sessions() {
  const auto answer = impl_->call(proto::requests::list_sessions(), wire::Envelope::kSessionList);
  std::vector<SessionInfo> out;
  for (const auto& s : answer.session_list().sessions()) {
    out.push_back(SessionInfo{s.id(), s.client_name(), s.last_address(), s.created_ms(), s.last_seen_ms(), s.current()});
  }
  return out;
}

void Client::logout_all() {
  impl_->call(proto::requests::logout_all(), wire::Envelope::kOk);
  impl_->set_user(std::nullopt);
}

void Client::end_session(const std::string& session_id) {
  // Whether it was this connection's own session, only the server knows: ask it afterwards
  // would need a call that works logged out. sessions() tells; the common case (another
  // device) keeps this connection logged in.
  const auto before = sessions();
  impl_->call(proto::requests::logout_session(session_id), wire::Envelope::kOk);
  for (const auto& s : before) {
    if (s.id == session_id && s.current) impl_->set_user(std::nullopt);
  }
}

void Client::delete_account(const std::string& password) {
  impl_->call(proto::requests::delete_account(password), wire::Envelope::kOk);
  impl_->set_user(std::nullopt);
}

std::vector<UserInfo> Client::find_users(const std::string& nick, bool prefix) {
  const auto answer = impl_->call(proto::requests::find_users(nick, prefix), wire::Envelope::kUserList);
  std::vector<UserInfo> users;
  for (const auto& u : answer.user_list().users()) users.push_back(detail::from_wire(u));
  return users;
}

}  // namespace occhat
