// occhat-bench: the load generator of the benchmarks issue. Each subcommand starts its own
// occhat-server, seeds it, drives it and prints JSON result lines on stdout (progress on stderr).

#include <signal.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "bench_error.hpp"
#include "common_options.hpp"
#include "subcommands.hpp"

int main(int argc, char** argv) {
  using namespace occhat::bench;
  ::signal(SIGPIPE, SIG_IGN);  // a server that dies mid-write is an error message, not a silent exit

  CLI::App app{"occhat-bench: load generator for occhat-server (JSON lines on stdout)"};
  app.require_subcommand(1);
  CommonOptions common;
  app.add_flag("--quick", common.quick, "scaled-down run (also accepted after the subcommand)");

  RelayOptions relay;
  auto* relay_cmd = app.add_subcommand("relay", "online pairs of friends message each other: msg/s and latency");
  add_common_options(*relay_cmd, common);
  relay_cmd->add_option("--pairs", relay.pairs, "pairs of friends, both sending")->capture_default_str();
  relay_cmd->add_option("--seconds", relay.seconds, "measured seconds (after a 1 s warm-up)")->capture_default_str();
  relay_cmd->add_option("--size", relay.size, "message text bytes")->capture_default_str();
  relay_cmd->add_option("--window", relay.window, "sends in flight per sender (closed loop)")->capture_default_str();
  relay_cmd->add_option("--rate", relay.rate, "offered msg/s over all senders (open loop); 0: closed loop")
      ->capture_default_str();
  relay_cmd->add_option("--nodes", relay.nodes,
                        "servers on one store (--store; pass --server-arg=--bus=nats://...): each pair's two users "
                        "on different nodes, so every message crosses nodes")
      ->capture_default_str();
  relay_cmd->add_flag("--all", relay.all,
                      "run inflight1 (1 pair and --pairs), window (--window or 64) and rate (--rate or 5000/s)");

  BacklogOptions backlog;
  auto* backlog_cmd = app.add_subcommand("backlog", "N messages for an offline user: login to last ack");
  add_common_options(*backlog_cmd, common);
  backlog_cmd->add_option("--messages", backlog.messages, "messages to queue")->capture_default_str();
  backlog_cmd->add_option("--window", backlog.window, "sends in flight while queueing")->capture_default_str();

  ConnectionsOptions connections;
  auto* connections_cmd = app.add_subcommand("connections", "N idle logged-in clients: held, login rate, RSS");
  add_common_options(*connections_cmd, common);
  connections_cmd->add_option("--clients", connections.clients, "clients (at most 19500: ulimit -n is 20000)")
      ->capture_default_str();
  connections_cmd->add_option("--sources", connections.sources, "source addresses 127.0.0.2..")->capture_default_str();
  connections_cmd->add_option("--hold", connections.hold_seconds, "seconds to hold them idle")->capture_default_str();
  connections_cmd->add_option("--in-flight", connections.in_flight, "handshakes at a time")->capture_default_str();
  connections_cmd->add_option("--password-logins", connections.password_logins, "argon2id logins to time")
      ->capture_default_str();
  connections_cmd->add_option("--ready-file", connections.ready_file,
                              "create this file once every client is logged in (a barrier for several processes)");
  connections_cmd->add_option("--go-file", connections.go_file,
                              "then wait for this file to exist before the hold (with --ready-file)");
  connections_cmd->add_option("--go-timeout", connections.go_timeout_seconds, "seconds to wait for --go-file")
      ->capture_default_str();

  FilesOptions files;
  auto* files_cmd = app.add_subcommand("files", "upload/download one large file: MB/s and resume cost");
  add_common_options(*files_cmd, common);
  files_cmd->add_option("--size-mib", files.size_mib, "file size in MiB")->capture_default_str();

  RoomOptions room;
  auto* room_cmd = app.add_subcommand("room", "a room of N online members, one sending: fan-out latency, deliveries/s, store growth");
  add_common_options(*room_cmd, common);
  room_cmd->add_option("--members", room.members, "members of the room, all subscribed")->capture_default_str();
  room_cmd->add_option("--seconds", room.seconds, "measured seconds per stage (after a 1 s warm-up)")->capture_default_str();
  room_cmd->add_option("--size", room.size, "message text bytes")->capture_default_str();
  room_cmd->add_option("--rate", room.rate, "fanout stage: room messages per second (open loop)")->capture_default_str();
  room_cmd->add_option("--window", room.window, "deliveries stage: sends in flight")->capture_default_str();
  room_cmd->add_option("--offline-messages", room.offline_messages, "offline stage: messages sent")->capture_default_str();

  NodeLossOptions node_loss;
  auto* node_loss_cmd = app.add_subcommand(
      "node-loss", "a cluster of 2 nodes (--store, --server-arg=--bus=...): seconds until node 1's users, after its "
                   "SIGKILL, are offline for a friend on node 2");
  add_common_options(*node_loss_cmd, common);
  node_loss_cmd->add_option("--watched", node_loss.watched, "users logged in on node 1, friends of the watcher")
      ->capture_default_str();
  node_loss_cmd->add_option("--timeout", node_loss.timeout_seconds, "seconds to wait for their offline presence")
      ->capture_default_str();
  node_loss_cmd->add_option("--settle", node_loss.settle_seconds,
                            "seconds between seeing them online and the kill, plus a random 0..2 s (the heartbeat "
                            "interval), so the kill falls anywhere in the heartbeat cycle")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*relay_cmd) run_relay(common, relay);
    if (*backlog_cmd) run_backlog(common, backlog);
    if (*connections_cmd) run_connections(common, connections);
    if (*files_cmd) run_files(common, files);
    if (*room_cmd) run_room(common, room);
    if (*node_loss_cmd) run_node_loss(common, node_loss);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "occhat-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
