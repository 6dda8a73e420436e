// crash_driver — the client half of scripts/crash-test.sh (hardening issue, item 3).
//
// N sender/recipient pairs on the C++ SDK, against a server that the script SIGKILLs and
// restarts (same port, same data dir) while they work:
//   setup    registers 2N users, makes each pair friends and members of a room of their own
//            (sender owner, recipient invited and joined) before any kill, then creates
//            --ready-file;
//   run      each sender sends messages, alternately to its recipient and to their room, with
//            unique client_msg_ids, retrying after any failure
//            with the SAME client_msg_id until the server answers success ("acknowledged"); each
//            recipient stays subscribed (reconnect + resume + subscribe after its last seq),
//            records every inbox item by seq and acknowledges;
//   stop     when --stop-file appears: senders finish the message in hand, recipients wait until
//            they have seen every acknowledged message (bounded), then a final check reads each
//            pair's whole history (1:1 and room) and whatever is still pending in each inbox.
//            A room message must reach both members' inboxes exactly once: the recipient's (live
//            or on catch-up) and the sender's own (read at the end: the sender never acknowledges).
// With a comma-separated --server list (scripts/crash-test.sh --cluster) each client gets the list
// rotated to start at another node: a pair's sender and recipient start on different nodes, so
// their traffic crosses nodes, and every client fails over along the list when its node dies.
// Prints `acknowledged: N`, `room acknowledged: N` (those of them sent to rooms), `lost: N`,
// `duplicated: N` (one per line, stdout) and exits 0 only if
// nothing was lost or duplicated. Details of any anomaly go to stderr. Every wait is bounded by
// --timeout-seconds (overall).

#include <occhat/client.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string server;
  int pairs = 8;
  std::string ready_file;
  std::string stop_file;
  int timeout_seconds = 300;
  // Checks the checker: "lost" counts an acknowledgement the server never gave, "duplicated"
  // stores one acknowledged text a second time (under a new client id). Either must fail the run.
  std::string self_test;
};

const std::string kPassword = "crash-test-password";

std::atomic<bool> g_stop{false};
Clock::time_point g_deadline;
std::mutex g_log_mutex;

template <typename... Args>
void note(const Args&... args) {
  std::lock_guard lock(g_log_mutex);
  std::cerr << "crash_driver: ";
  (std::cerr << ... << args);
  std::cerr << '\n';
}

bool past_deadline() { return Clock::now() > g_deadline; }

[[noreturn]] void give_up(const std::string& why) {
  note("giving up: ", why);
  std::cout << "acknowledged: ?\nlost: ?\nduplicated: ?\n" << std::flush;
  std::_Exit(2);
}

bool transient(occhat::ErrorCode code) {
  return code == occhat::ErrorCode::unavailable || code == occhat::ErrorCode::timeout ||
         code == occhat::ErrorCode::internal || code == occhat::ErrorCode::rate_limited;
}

occhat::Client::Options client_options() {
  occhat::Client::Options o;
  o.connect_timeout = 2000ms;
  o.request_timeout = 5000ms;
  o.client_name = "occhat-crash-driver";
  o.keepalive_interval = 5000ms;
  return o;
}

// (Re)connects `client` and resumes `token`, retrying until it works (the server may be down for
// a moment). Returns false only at the deadline.
bool reconnect(occhat::Client& client, const std::string& server, const std::string& token) {
  for (int attempt = 0;; ++attempt) {
    if (past_deadline()) return false;
    try {
      client.disconnect();
      client.connect(server);
      client.resume(token);
      return true;
    } catch (const occhat::Error& e) {
      if (!transient(e.code())) note("reconnect: unexpected error ", static_cast<int>(e.code()), ": ", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 + attempt * 10, 200)));
    }
  }
}

// ---- setup ---------------------------------------------------------------------------------------

struct Pair {
  occhat::UserId sender = 0, recipient = 0;
  occhat::RoomId room = 0;
  std::string sender_token, recipient_token;
  std::string sender_server, recipient_server;  // the --server list, rotated per client
};

// `list` (HOST:PORT,HOST:PORT,...) starting at its entry k (modulo its length); a single address
// stays as it is.
std::string rotated(const std::string& list, std::size_t k) {
  std::vector<std::string> entries;
  for (std::size_t start = 0;;) {
    const auto comma = list.find(',', start);
    entries.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::string out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!out.empty()) out += ',';
    out += entries[(k + i) % entries.size()];
  }
  return out;
}

// Registers, waiting out RATE_LIMITED as told (the server lets at most 8 registrations wait for
// their hash, and the pairs register in parallel).
occhat::UserId register_retrying(occhat::Client& client, const std::string& nick) {
  for (;;) {
    try {
      return client.register_user(nick + "@crash.example.org", nick, kPassword);
    } catch (const occhat::Error& e) {
      if (e.code() != occhat::ErrorCode::rate_limited || past_deadline()) throw;
      std::this_thread::sleep_for(std::max(e.retry_after(), std::chrono::milliseconds(100)));
    }
  }
}

Pair set_up_pair(const std::string& server, int index) {
  Pair p;
  p.sender_server = rotated(server, static_cast<std::size_t>(index));
  p.recipient_server = rotated(server, static_cast<std::size_t>(index) + 1);
  // Registration and login are argon2id: generous timeouts on a busy machine.
  auto options = client_options();
  options.request_timeout = 60000ms;
  occhat::Client s(options), r(options);
  s.connect(p.sender_server);
  r.connect(p.recipient_server);
  const std::string n = std::to_string(index);
  p.sender = register_retrying(s, "sender" + n);
  p.recipient = register_retrying(r, "recipient" + n);
  p.sender_token = s.login(p.sender, kPassword).token;
  p.recipient_token = r.login(p.recipient, kPassword).token;
  s.add_friend(p.recipient);
  if (r.add_friend(p.sender).state != occhat::AddFriendState::now_friends) throw std::runtime_error("not friends");
  p.room = s.create_room("crash room " + n).id;
  s.invite_to_room(p.room, {p.recipient});
  r.join_room(p.room);
  return p;
}

// ---- run -----------------------------------------------------------------------------------------

struct Acked {
  std::string client_msg_id;
  std::string text;
  occhat::MessageId id = 0;
  bool room = false;
};

// Room messages and 1:1 messages are numbered separately: a delivery is named by both.
using MessageKey = std::pair<bool, occhat::MessageId>;

struct SenderResult {
  std::vector<Acked> acked;
  std::uint64_t retries = 0;
  std::uint64_t duplicate_answers = 0;  // retries answered with duplicate=true
};

std::string text_for(int pair, std::uint64_t n, bool room) {
  return "crash-test pair " + std::to_string(pair) + (room ? " room message " : " message ") + std::to_string(n);
}

void run_sender(const Pair& p, int index, SenderResult& out, std::mutex& mutex) {
  occhat::Client client(client_options());
  if (!reconnect(client, p.sender_server, p.sender_token)) give_up("sender cannot connect");
  for (std::uint64_t n = 0; !g_stop.load(); ++n) {
    const std::string cid = "p" + std::to_string(index) + "-m" + std::to_string(n);
    const bool room = n % 2 == 1;
    const std::string text = text_for(index, n, room);
    for (;;) {
      if (past_deadline()) give_up("sender " + std::to_string(index) + " ran out of time");
      try {
        const auto sent = room ? client.send_room_message(p.room, text, cid) : client.send_message(p.recipient, text, cid);
        std::lock_guard lock(mutex);
        out.acked.push_back(Acked{cid, text, sent.id, room});
        if (sent.duplicate) ++out.duplicate_answers;
        break;
      } catch (const occhat::Error& e) {
        ++out.retries;
        if (!transient(e.code())) {
          note("sender ", index, ": unexpected error ", static_cast<int>(e.code()), " (", e.what(), ") for ", cid,
               "; retrying");
        }
        if (e.code() == occhat::ErrorCode::rate_limited) std::this_thread::sleep_for(e.retry_after());
        if (e.code() != occhat::ErrorCode::timeout || !client.connected()) {
          if (!reconnect(client, p.sender_server, p.sender_token)) give_up("sender cannot reconnect");
        }
      }
    }
  }
}

struct Delivery {
  occhat::Seq seq = 0;
  occhat::MessageId id = 0;
  std::string text;
  bool room = false;
};

Delivery delivery_of(const occhat::Event& event) {
  if (!event.message) return Delivery{event.seq, 0, event.type, false};
  return Delivery{event.seq, event.message->id, event.message->text, event.message->room.has_value()};
}

struct RecipientState {
  std::mutex mutex;
  std::map<occhat::Seq, Delivery> by_seq;  // first delivery of each seq
  std::uint64_t redelivered_same = 0;      // a seq seen again with the same content (at-least-once: fine)
  std::uint64_t redelivered_different = 0; // a seq seen again with OTHER content: the store reused a seq
  std::uint64_t gaps = 0;                  // a push skipped seqs
  occhat::Seq last_seq = 0;
  std::set<MessageKey> seen;
  std::uint64_t reconnects = 0;
};

std::atomic<bool> g_recipients_stop{false};

void run_recipient(const Pair& p, int index, RecipientState& st) {
  occhat::Client client(client_options());
  bool need_connect = true;
  auto last_ack = Clock::now();
  occhat::Seq acked = 0;
  while (!g_recipients_stop.load()) {
    if (past_deadline()) give_up("recipient " + std::to_string(index) + " ran out of time");
    try {
      if (need_connect) {
        if (!reconnect(client, p.recipient_server, p.recipient_token)) give_up("recipient cannot connect");
        occhat::Seq from;
        {
          std::lock_guard lock(st.mutex);
          from = st.last_seq;
        }
        client.subscribe(from);
        need_connect = false;
        ++st.reconnects;
      }
      auto event = client.next_event(100ms);
      if (event && event->type == "disconnected") {
        need_connect = true;
        continue;
      }
      if (event && event->seq > 0) {
        std::lock_guard lock(st.mutex);
        const Delivery d = delivery_of(*event);
        const auto it = st.by_seq.find(event->seq);
        if (it != st.by_seq.end()) {
          if (it->second.id == d.id && it->second.text == d.text && it->second.room == d.room) {
            ++st.redelivered_same;
          } else {
            ++st.redelivered_different;
            note("recipient ", index, ": seq ", event->seq, " delivered as message ", it->second.id, " and later as ",
                 d.id);
          }
        } else {
          if (event->seq > st.last_seq + 1 && st.last_seq > 0) {
            ++st.gaps;
            note("recipient ", index, ": seq jumped from ", st.last_seq, " to ", event->seq);
          }
          st.by_seq.emplace(event->seq, d);
          if (d.id) st.seen.insert(MessageKey{d.room, d.id});
          st.last_seq = std::max(st.last_seq, event->seq);
        }
      }
      occhat::Seq to_ack;
      {
        std::lock_guard lock(st.mutex);
        to_ack = st.last_seq;
      }
      if (to_ack > acked && (Clock::now() - last_ack > 200ms || to_ack - acked >= 256)) {
        client.ack(to_ack);
        acked = to_ack;
        last_ack = Clock::now();
      }
    } catch (const occhat::Error& e) {
      if (!transient(e.code())) note("recipient ", index, ": unexpected error ", static_cast<int>(e.code()), ": ", e.what());
      need_connect = true;
    }
  }
}

// ---- verification ---------------------------------------------------------------------------------

// A whole conversation, oldest first (paged backwards by before_id): with a peer, or of a room.
std::vector<occhat::Message> whole_history(occhat::Client& client, occhat::UserId peer, occhat::RoomId room = 0) {
  std::vector<occhat::Message> all;
  occhat::MessageId before = 0;
  for (;;) {
    const auto page = room ? client.room_history(room, 500, before) : client.history(peer, 500, before);
    all.insert(all.begin(), page.messages.begin(), page.messages.end());
    if (!page.more || page.messages.empty()) break;
    before = page.messages.front().id;
  }
  return all;
}

// Every inbox item after `after`, oldest first.
std::vector<occhat::Event> whole_inbox(occhat::Client& client, occhat::Seq after) {
  std::vector<occhat::Event> all;
  for (;;) {
    const auto page = client.fetch_inbox(after, 1000);
    all.insert(all.end(), page.events.begin(), page.events.end());
    if (!page.more || page.events.empty()) break;
    after = page.events.back().seq;
  }
  return all;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "crash_driver: " << arg << " needs a value\n";
        std::exit(1);
      }
      return argv[++i];
    };
    if (arg == "--server") {
      o.server = value();
    } else if (arg == "--pairs") {
      o.pairs = std::stoi(value());
    } else if (arg == "--ready-file") {
      o.ready_file = value();
    } else if (arg == "--stop-file") {
      o.stop_file = value();
    } else if (arg == "--timeout-seconds") {
      o.timeout_seconds = std::stoi(value());
    } else if (arg == "--self-test") {
      o.self_test = value();
      if (o.self_test != "lost" && o.self_test != "duplicated") {
        std::cerr << "crash_driver: --self-test takes lost or duplicated\n";
        std::exit(1);
      }
    } else {
      std::cerr << "usage: crash_driver --server HOST:PORT [--pairs N] --ready-file F --stop-file F "
                   "[--timeout-seconds S] [--self-test lost|duplicated]\n";
      std::exit(1);
    }
  }
  if (o.server.empty() || o.ready_file.empty() || o.stop_file.empty() || o.pairs < 1) {
    std::cerr << "crash_driver: --server, --ready-file and --stop-file are required\n";
    std::exit(1);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  g_deadline = Clock::now() + std::chrono::seconds(o.timeout_seconds);

  // Setup, pairs in parallel (registration is argon2id on the server's crypto threads).
  std::vector<Pair> pairs(static_cast<std::size_t>(o.pairs));
  {
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    for (int i = 0; i < o.pairs; ++i) {
      threads.emplace_back([&, i] {
        try {
          pairs[static_cast<std::size_t>(i)] = set_up_pair(o.server, i);
        } catch (const std::exception& e) {
          note("setup of pair ", i, " failed: ", e.what());
          failed = true;
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed) {
      std::cout << "acknowledged: ?\nlost: ?\nduplicated: ?\n";
      return 2;
    }
  }
  std::ofstream(o.ready_file) << "ready\n";

  std::vector<SenderResult> sent(pairs.size());
  std::vector<std::mutex> sent_mutex(pairs.size());
  std::vector<RecipientState> received(pairs.size());
  std::vector<std::thread> senders, recipients;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    recipients.emplace_back(run_recipient, std::cref(pairs[i]), static_cast<int>(i), std::ref(received[i]));
    senders.emplace_back(run_sender, std::cref(pairs[i]), static_cast<int>(i), std::ref(sent[i]),
                         std::ref(sent_mutex[i]));
  }
  while (!std::filesystem::exists(o.stop_file)) {
    if (past_deadline()) give_up("no stop file before the deadline");
    std::this_thread::sleep_for(50ms);
  }
  g_stop = true;
  for (auto& t : senders) t.join();
  if (o.self_test == "lost" && !sent[0].acked.empty()) {
    sent[0].acked.push_back(Acked{"self-test", "self-test: never sent", sent[0].acked.back().id + 1000000});
  } else if (o.self_test == "duplicated" && !sent[0].acked.empty()) {
    occhat::Client client(client_options());
    if (!reconnect(client, o.server, pairs[0].sender_token)) give_up("self-test cannot connect");
    client.send_message(pairs[0].recipient, sent[0].acked.front().text, "self-test");
  }

  // Recipients: wait (bounded) until every acknowledged message has been pushed to them.
  const auto wait_until = std::min(g_deadline, Clock::now() + 20s);
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < pairs.size() && all; ++i) {
      std::lock_guard lock(received[i].mutex);
      for (const auto& a : sent[i].acked) {
        if (!received[i].seen.count(MessageKey{a.room, a.id})) {
          all = false;
          break;
        }
      }
    }
    if (all || Clock::now() > wait_until) break;
    std::this_thread::sleep_for(50ms);
  }
  g_recipients_stop = true;
  for (auto& t : recipients) t.join();

  // Final check on fresh connections: each pair's whole history, and anything still pending in
  // the recipient's inbox after the last seq it handled.
  std::uint64_t acknowledged = 0, room_acknowledged = 0, lost = 0, duplicated = 0, retries = 0, dup_answers = 0,
                reconnects = 0;
  std::uint64_t redelivered = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    SenderResult& s = sent[i];
    RecipientState& r = received[i];
    acknowledged += s.acked.size();
    for (const auto& a : s.acked) room_acknowledged += a.room ? 1 : 0;
    retries += s.retries;
    dup_answers += s.duplicate_answers;
    reconnects += r.reconnects;
    redelivered += r.redelivered_same;

    occhat::Client client(client_options());
    if (!reconnect(client, o.server, p.recipient_token)) give_up("verification cannot connect");
    std::vector<occhat::Message> history;
    std::vector<occhat::Event> pending, sender_inbox;
    try {
      history = whole_history(client, p.sender);
      const auto room_history = whole_history(client, 0, p.room);
      history.insert(history.end(), room_history.begin(), room_history.end());
      pending = whole_inbox(client, r.last_seq);
      occhat::Client sender_client(client_options());
      if (!reconnect(sender_client, o.server, p.sender_token)) give_up("verification cannot connect");
      sender_inbox = whole_inbox(sender_client, 0);
    } catch (const occhat::Error& e) {
      give_up(std::string("verification failed: ") + e.what());
    }
    for (const auto& e : pending) {
      if (r.by_seq.count(e.seq)) continue;
      r.by_seq.emplace(e.seq, delivery_of(e));
    }

    std::map<std::string, int> history_count;  // text -> occurrences
    std::map<std::string, occhat::MessageId> history_id;
    for (const auto& m : history) {
      const bool ours = m.room ? m.from == p.sender : (m.from == p.sender && m.to == p.recipient);
      if (!ours) continue;
      ++history_count[m.text];
      history_id[m.text] = m.id;
    }
    std::map<MessageKey, int> delivered_count;  // message -> the recipient's inbox items carrying it
    std::map<std::string, int> delivered_text;
    for (const auto& [seq, d] : r.by_seq) {
      if (!d.id) continue;
      ++delivered_count[MessageKey{d.room, d.id}];
      ++delivered_text[d.text];
    }
    std::map<MessageKey, int> sender_copies;  // room message -> the sender's own inbox items carrying it
    for (const auto& e : sender_inbox) {
      const Delivery d = delivery_of(e);
      if (d.room) ++sender_copies[MessageKey{true, d.id}];
    }
    std::set<std::string> acked_texts;
    std::uint64_t pair_lost = 0, pair_dup = 0;
    for (const auto& a : s.acked) {
      acked_texts.insert(a.text);
      const MessageKey key{a.room, a.id};
      const int in_history = history_count.count(a.text) ? history_count[a.text] : 0;
      const int in_inbox = delivered_count.count(key) ? delivered_count[key] : 0;
      const int text_in_inbox = delivered_text.count(a.text) ? delivered_text[a.text] : 0;
      // A 1:1 message is not copied to its sender's inbox; a room message is, once.
      const int own_copies = sender_copies.count(key) ? sender_copies[key] : 0;
      const int own_expected = a.room ? 1 : 0;
      if (in_history == 0 || in_inbox == 0 || own_copies < own_expected ||
          (in_history == 1 && history_id[a.text] != a.id)) {
        ++pair_lost;
        note("pair ", i, ": LOST ", a.client_msg_id, " (", a.room ? "room " : "", "message ", a.id, "): history ",
             in_history, ", inbox ", in_inbox, ", sender's inbox ", own_copies);
      } else if (in_history > 1 || in_inbox > 1 || text_in_inbox > 1 || own_copies > own_expected) {
        ++pair_dup;
        note("pair ", i, ": DUPLICATED ", a.client_msg_id, " (", a.room ? "room " : "", "message ", a.id, "): history ",
             in_history, ", inbox ", in_inbox, ", inbox by text ", text_in_inbox, ", sender's inbox ", own_copies);
      }
    }
    // Messages the server stored that no send acknowledged: a retry that was stored twice.
    for (const auto& [text, count] : history_count) {
      if (!acked_texts.count(text)) {
        pair_dup += static_cast<std::uint64_t>(count);
        note("pair ", i, ": stored but never acknowledged: \"", text, "\" x", count);
      }
    }
    if (r.redelivered_different || r.gaps) {
      note("pair ", i, ": ", r.redelivered_different, " seqs reused with other content, ", r.gaps, " gaps in pushes");
      pair_dup += r.redelivered_different;
    }
    lost += pair_lost;
    duplicated += pair_dup;
  }
  note("senders retried ", retries, " times (", dup_answers, " retries answered as duplicates); recipients (re)connected ",
       reconnects, " times; ", redelivered, " re-pushed seqs ignored");
  std::cout << "acknowledged: " << acknowledged << "\nroom acknowledged: " << room_acknowledged << "\nlost: " << lost << "\nduplicated: " << duplicated << "\n"
            << std::flush;
  return lost == 0 && duplicated == 0 && acknowledged > 0 ? 0 : 1;
}
