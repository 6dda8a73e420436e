// occhat room create|invite|join|decline|leave|remove|admin|owner|rename|delete|members: one
// command with a subcommand per room operation, so `occhat room --help` lists them together.

#include <functional>
#include <string>
#include <vector>

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "room_format.hpp"
#include "room_id.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class RoomCommand final : public Command {
 public:
  std::string name() const override { return "room"; }
  std::string description() const override {
    return "Create a room, manage its members and settings, list its members";
  }

  void configure(CLI::App& sub) override {
    sub.require_subcommand(1);
    add(sub, "create", "Create a room with you as its owner; prints its id", false, &RoomCommand::create)
        ->add_option("NAME", name_, "1..64 characters")->required();
    auto* invite = add(sub, "invite", "Invite friends to a room (any member may)", true, &RoomCommand::invite);
    invite->add_option("USER", users_, "Friends' 6-digit ids")->required()->check(user_id_validator());
    add(sub, "join", "Accept an invitation", true, &RoomCommand::join);
    add(sub, "decline", "Decline an invitation", true, &RoomCommand::decline);
    add(sub, "leave", "Leave a room (its owner hands it on or deletes it first)", true, &RoomCommand::leave);
    add_user(add(sub, "remove", "Remove a member (owner: anyone; admin: plain members)", true,
                 &RoomCommand::remove));
    auto* admin = add_user(add(sub, "admin", "Owner: make a member an admin (--off: a plain member again)", true,
                               &RoomCommand::admin));
    admin->add_flag("--off", off_, "Take the admin role away");
    add_user(add(sub, "owner", "Owner: hand the room to a member (you become an admin)", true,
                 &RoomCommand::owner));
    add(sub, "rename", "Owner and admins: rename a room", true, &RoomCommand::rename)
        ->add_option("NAME", name_, "1..64 characters")->required();
    add(sub, "delete", "Owner: delete a room with its history and files", true, &RoomCommand::remove_room);
    add(sub, "members", "List a room's members: id, nick, role, online", true, &RoomCommand::members);
  }

  void run(Context& ctx) override {
    for (const auto& [sub, action] : actions_) {
      if (sub->parsed()) {
        const RoomId room = room_.empty() ? 0 : parse_room_id(room_);
        const auto logged_in = open_logged_in(ctx);
        (this->*action)(ctx, *logged_in.client, room);
        return;
      }
    }
  }

 private:
  using Action = void (RoomCommand::*)(Context&, Client&, RoomId);

  CLI::App* add(CLI::App& parent, const std::string& name, const std::string& help, bool takes_room,
                Action action) {
    CLI::App* sub = parent.add_subcommand(name, help);
    if (takes_room) sub->add_option("ROOM", room_, "The room's id")->required()->check(room_id_validator());
    actions_.emplace_back(sub, action);
    return sub;
  }

  CLI::App* add_user(CLI::App* sub) {
    sub->add_option("USER", user_, "A member's 6-digit id")->required()->check(user_id_validator());
    return sub;
  }

  // The one-line answer of a change: "TEXT" or {"ok":true,"room":ID,...}.
  static void done(Context& ctx, RoomId room, const std::string& text, Json extra = Json::object()) {
    ctx.out.result(text, room_change_json(room, extra));
  }

  void create(Context& ctx, Client& client, RoomId) {
    const Room room = client.create_room(name_);
    ctx.out.result(std::to_string(room.id), room_json(room, false));
  }

  void invite(Context& ctx, Client& client, RoomId room) {
    std::vector<UserId> ids;
    for (const auto& user : users_) ids.push_back(parse_user_id(user));
    client.invite_to_room(room, ids);
    std::string list;
    for (const UserId id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    done(ctx, room, "invited " + list + " to room " + std::to_string(room), Json{{"invited", ids}});
  }

  void join(Context& ctx, Client& client, RoomId room) {
    const Room joined = client.join_room(room);
    ctx.out.result("joined " + room_label(RoomRef{joined.id, joined.name}) + " (" + std::to_string(joined.members) +
                       " members); write with: occhat send --room " + std::to_string(joined.id) + " TEXT",
                   room_json(joined, false));
  }

  void decline(Context& ctx, Client& client, RoomId room) {
    client.decline_room(room);
    done(ctx, room, "declined the invitation to room " + std::to_string(room));
  }

  void leave(Context& ctx, Client& client, RoomId room) {
    client.leave_room(room);
    done(ctx, room, "left room " + std::to_string(room));
  }

  void remove(Context& ctx, Client& client, RoomId room) {
    const UserId user = parse_user_id(user_);
    client.remove_from_room(room, user);
    done(ctx, room, "removed " + user_ + " from room " + std::to_string(room), Json{{"user", user}});
  }

  void admin(Context& ctx, Client& client, RoomId room) {
    const UserId user = parse_user_id(user_);
    client.set_room_admin(room, user, !off_);
    const std::string role = off_ ? "member" : "admin";
    done(ctx, room, user_ + " is now " + (off_ ? "a plain member" : "an admin") + " of room " + std::to_string(room),
         Json{{"user", user}, {"role", role}});
  }

  void owner(Context& ctx, Client& client, RoomId room) {
    const UserId user = parse_user_id(user_);
    client.transfer_room(room, user);
    done(ctx, room, user_ + " now owns room " + std::to_string(room) + "; you are an admin",
         Json{{"user", user}, {"role", "owner"}});
  }

  void rename(Context& ctx, Client& client, RoomId room) {
    client.rename_room(room, name_);
    done(ctx, room, "renamed room " + std::to_string(room) + " to " + escape_for_terminal(name_),
         Json{{"name", name_}});
  }

  void remove_room(Context& ctx, Client& client, RoomId room) {
    client.delete_room(room);
    done(ctx, room, "deleted room " + std::to_string(room));
  }

  void members(Context& ctx, Client& client, RoomId room) {
    for (const RoomMember& m : client.room_members(room)) ctx.out.result(format_member_line(m), member_json(m));
  }

  std::vector<std::pair<CLI::App*, Action>> actions_;
  std::string room_;
  std::string name_;
  std::string user_;
  std::vector<std::string> users_;
  bool off_ = false;
};

}  // namespace

std::unique_ptr<Command> make_room_command() { return std::make_unique<RoomCommand>(); }

}  // namespace occhat::cli
