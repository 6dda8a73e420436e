#pragma once
// Store records -> wire messages, and packing lists of them into frames that respect the
// payload cap (the frame codec refuses to encode anything larger).

#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

#include "occhat/proto/error_code.hpp"

#include "occhat/proto/frame.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {

// A wire `error` body: what every failure looks like to the client.
wire::Envelope error_body(ErrorCode code, std::string_view message,
                          std::chrono::milliseconds retry_after = std::chrono::milliseconds{0});

void fill_message(wire::ChatMessage& out, const store::Message& message);
void fill_file_info(wire::FileInfo& out, const store::FileRecord& file);
void fill_inbox_item(wire::InboxItem& out, const store::InboxItem& item);
void fill_room_info(wire::RoomInfo& out, const store::RoomView& view);
void fill_room_event(wire::RoomEvent& out, const store::RoomEvent& event);

// Appends items[begin...] to `out` while there are at most `max_items` of them and the Envelope
// carrying `out` (with `more` set) stays within `max_payload` bytes. Always takes at least one
// item when begin < items.size() (a single item is far below any cap). Returns the index after
// the last item taken.
std::size_t pack_inbox_items(const std::vector<store::InboxItem>& items, std::size_t begin, std::size_t max_items,
                             std::size_t max_payload, wire::InboxItems& out);

// The newest messages of `messages` (oldest first) that fit in one Envelope of at most
// `max_payload` bytes; returns how many were dropped from the front (the oldest).
std::size_t fit_message_list(const std::vector<store::Message>& messages, std::size_t max_payload);

// The message_list answer to a history request (1:1 or room): 500 long messages exceed one
// frame, so it keeps the newest that fit and reports the rest as older (`more`).
wire::Envelope message_list_answer(const store::HistoryPage& page);

}  // namespace occhat::server
