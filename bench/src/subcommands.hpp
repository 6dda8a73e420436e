#pragma once
// The subcommands of occhat-bench; each starts its own server(s) and prints JSON result lines.

#include <cstddef>
#include <cstdint>

#include "common_options.hpp"

namespace occhat::bench {

struct RelayOptions {
  std::size_t pairs = 50;
  double seconds = 5;
  std::size_t size = 100;
  std::size_t window = 1;
  double rate = 0;  // > 0: open loop, messages/s over all senders
  bool all = false;
  std::size_t nodes = 1;  // > 1: that many servers on one store (--store), each pair split over two
};

struct BacklogOptions {
  std::uint64_t messages = 100000;
  std::size_t window = 256;
};

struct ConnectionsOptions {
  std::size_t clients = 19000;
  unsigned sources = 4;
  double hold_seconds = 5;
  std::size_t in_flight = 256;
  std::size_t password_logins = 20;
  // Several processes holding connections at once (one per cluster node, since one process may
  // open at most 20,000 files): once logged in, create ready_file and wait for go_file before
  // the hold, so every process holds its clients at the same time. Empty: no barrier.
  std::string ready_file;
  std::string go_file;
  double go_timeout_seconds = 600;
};

struct FilesOptions {
  std::uint64_t size_mib = 1024;
};

struct RoomOptions {
  std::size_t members = 1000;
  double seconds = 5;
  std::size_t size = 100;
  std::size_t window = 8;             // deliveries stage: sends in flight
  double rate = 5;                    // fanout stage: room messages per second (well below capacity: latency, not queueing)
  std::uint64_t offline_messages = 200;  // offline stage
};

struct NodeLossOptions {
  std::size_t watched = 20;      // users logged in on the node that is killed
  double timeout_seconds = 60;   // for their offline presence to arrive
  double settle_seconds = 2;     // before the kill, plus a random 0..2 s
};

void run_relay(const CommonOptions& common, RelayOptions options);
void run_backlog(const CommonOptions& common, BacklogOptions options);
void run_connections(const CommonOptions& common, ConnectionsOptions options);
void run_files(const CommonOptions& common, FilesOptions options);
void run_room(const CommonOptions& common, RoomOptions options);
void run_node_loss(const CommonOptions& common, NodeLossOptions options);

}  // namespace occhat::bench
