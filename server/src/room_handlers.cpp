#include "room_handlers.hpp"

#include <fmt/format.h>

#include "log.hpp"
#include "mentions.hpp"
#include "occhat/proto/limits.hpp"
#include "request_error.hpp"
#include "run_on.hpp"
#include "server_context.hpp"
#include "validation.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

// Members fetched per page before packing into one frame (a member costs well under 200 bytes
// on the wire, so a page of 64 KiB holds at least ~300; the rest is asked for with after_id).
constexpr std::uint32_t kMemberFetch = 1000;

// Envelope tag and length, `more`, and room as the members list's neighbours.
constexpr std::size_t kMemberListOverhead = 2 + 3 + 2;

// A room event or message reaches every member: one effect carrying them all.
void deliver_all(Reply& reply, std::vector<store::InboxItem> items) {
  if (!items.empty()) reply.effects.emplace_back(effect::DeliverMany{std::move(items), {}});
}

}  // namespace

asio::awaitable<Reply> handle_create_room(ServerContext& server, const RequestContext& context,
                                          const wire::CreateRoomRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t max_owned = server.max_rooms_per_user;
  auto create_job = [me, name = clean_room_name(request.name()), max_owned](store::Store& store) {
    return store.create_room(me, name, max_owned);
  };
  const store::RoomView room = co_await server.store.run(std::move(create_job));
  log_event("user {} created room {}", me, room.room.id);
  wire::Envelope answer;
  fill_room_info(*answer.mutable_room_info(), room);
  co_return answer;
}

asio::awaitable<Reply> handle_room_change(ServerContext& server, const RequestContext& context,
                                          const wire::RoomChangeRequest& request) {
  using Change = wire::RoomChangeRequest;
  store::RoomChange change;
  change.actor = context.user_id.value();
  change.room_id = request.room_id();
  change.max_members = server.max_room_members;
  change.users.assign(request.users().begin(), request.users().end());
  if (request.change() < Change::INVITE || request.change() > Change::DELETE) {
    throw RequestError(ErrorCode::invalid_argument, "unknown room change");
  }
  change.kind = static_cast<store::RoomChange::Kind>(request.change());
  if (request.change() == Change::RENAME) change.name = clean_room_name(request.name());
  auto change_job = [change](store::Store& store) { return store.change_room(change); };
  store::RoomChangeResult result = co_await server.store.run(std::move(change_job));
  log_event("user {} room {} change {}", change.actor, change.room_id, Change::Change_Name(request.change()));

  Reply reply;
  if (result.room) {
    fill_room_info(*reply.body.mutable_room_info(), *result.room);
  } else {
    reply.body.mutable_ok();
  }
  // A deleted room's files go from the disk too (the rows went with the room).
  if (!result.removed_files.empty() || !result.removed_uploads.empty()) {
    for (const std::uint64_t id : result.removed_uploads) server.reservations.erase(id);
    FileStorage* files = server.files;
    auto remove_job = [files, removed_files = result.removed_files, removed_uploads = result.removed_uploads] {
      for (const std::uint64_t id : removed_files) files->remove_published(id);
      for (const std::uint64_t id : removed_uploads) files->remove_part(id);
    };
    co_await run_on(server.file_io, std::move(remove_job));
  }
  deliver_all(reply, std::move(result.items));
  co_return reply;
}

asio::awaitable<Reply> handle_list_rooms(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto list_job = [me](store::Store& store) {
    store::RoomLists lists = store.rooms(me);
    for (auto& room : lists.rooms) room.unread = store.unread_count(me, room.room.id);
    return lists;
  };
  const store::RoomLists lists = co_await server.store.run(std::move(list_job));
  wire::Envelope answer;
  auto* out = answer.mutable_room_list();
  // At most max_rooms_per_user owned plus memberships and invites: a user in thousands of rooms
  // would pass the frame cap; the newest invites are dropped first, then rooms, to fit.
  std::size_t used = kMemberListOverhead;
  for (const auto& room : lists.rooms) {
    wire::RoomInfo info;
    fill_room_info(info, room);
    used += 1 + 3 + info.ByteSizeLong();
    if (used > proto::kMaxControlPayload) break;
    *out->add_rooms() = std::move(info);
  }
  for (const auto& invite : lists.invites) {
    wire::RoomInfo info;
    fill_room_info(info, invite);
    used += 1 + 3 + info.ByteSizeLong();
    if (used > proto::kMaxControlPayload) break;
    *out->add_invites() = std::move(info);
  }
  co_return answer;
}

asio::awaitable<Reply> handle_list_room_members(ServerContext& server, const RequestContext& context,
                                                const wire::ListRoomMembersRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t room_id = request.room_id();
  const std::uint32_t after_id = request.after_id();
  auto members_job = [me, room_id, after_id](store::Store& store) {
    return store.room_members(me, room_id, after_id, kMemberFetch);
  };
  const store::RoomMembersPage page = co_await server.store.run(std::move(members_job));
  wire::Envelope answer;
  auto* out = answer.mutable_room_member_list();
  fill_room_info(*out->mutable_room(), page.room);
  std::size_t used = kMemberListOverhead + 3 + out->room().ByteSizeLong();
  std::size_t taken = 0;
  for (const auto& member : page.members) {
    wire::RoomMember encoded;
    encoded.set_id(member.id);
    encoded.set_nick(member.nick);
    encoded.set_role(static_cast<wire::RoomRole>(member.role));
    encoded.set_online(server.bus->online(member.id));
    encoded.set_joined_ms(member.joined_ms);
    const std::size_t cost = 1 + 2 + encoded.ByteSizeLong();
    if (used + cost > proto::kMaxControlPayload) break;
    used += cost;
    *out->add_members() = std::move(encoded);
    ++taken;
  }
  out->set_more(page.more || taken < page.members.size());
  co_return answer;
}

asio::awaitable<Reply> handle_send_room_message(ServerContext& server, const RequestContext& context,
                                                const wire::SendMessageRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t room_id = request.room_id();
  if (request.to() != 0) throw RequestError(ErrorCode::invalid_argument, "set either to or room_id, not both");
  validate_message_text(request.text());
  validate_client_msg_id(request.client_msg_id());
  auto send_job = [me, room_id, text = request.text(), client_msg_id = request.client_msg_id(),
                   mentions = parse_mentions(request.text())](store::Store& store) {
    return store.send_room_message(me, room_id, text, client_msg_id, mentions);
  };
  // Committed (one transaction: the message and every member's inbox row) before the answer;
  // in order with the sender's other sends (store_executor.hpp).
  store::RoomSendResult result = co_await server.store.run_in_order(sender_order_key(me), std::move(send_job));
  if (!result.duplicate) server.metrics.messages_stored.fetch_add(1, std::memory_order_relaxed);
  if (result.duplicate) {
    log_debug("user {} resent room message {} (duplicate client id; nothing stored)", me, result.message_id);
  } else {
    log_debug("user {} sent message {} to room {} ({} bytes, {} recipients)", me, result.message_id, room_id,
              request.text().size(), result.items.size());
  }
  Reply reply;
  auto* sent = reply.body.mutable_message_sent();
  sent->set_message_id(result.message_id);
  sent->set_time_ms(result.time_ms);
  sent->set_duplicate(result.duplicate);
  deliver_all(reply, std::move(result.items));
  co_return reply;
}

asio::awaitable<Reply> handle_room_history(ServerContext& server, const RequestContext& context,
                                           const wire::HistoryRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t room_id = request.room_id();
  if (request.peer() != 0) throw RequestError(ErrorCode::invalid_argument, "set either peer or room_id, not both");
  const std::uint32_t limit = history_limit(request.limit());
  const std::uint64_t before_id = request.before_id();
  auto history_job = [me, room_id, limit, before_id](store::Store& store) {
    store::HistoryPage page = store.room_history(me, room_id, limit, before_id);
    // The newest page is what a member reads when opening the room: it is read now.
    if (before_id == 0 && !page.messages.empty()) store.mark_read(me, room_id, page.messages.back().id);
    return page;
  };
  co_return message_list_answer(co_await server.store.run(std::move(history_job)));
}

}  // namespace occhat::server
