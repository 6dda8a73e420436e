#include "connection.hpp"

#include <fmt/format.h>

#include <charconv>

namespace occhat::store::pg {
namespace {

// libpq messages end in a newline and may span lines; the log and the CLI want one line.
std::string one_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  for (auto& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool is_unavailable_state(std::string_view state) {
  return state.substr(0, 2) == "08" || state.substr(0, 2) == "53" || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---- Params ----

Params& Params::add(std::int64_t value) {
  values_.push_back(std::to_string(value));
  null_.push_back(false);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::add(std::string_view text) {
  values_.emplace_back(text);
  null_.push_back(false);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::add_bytes(std::span<const std::uint8_t> bytes) {
  return add_bytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Params& Params::add_bytes(std::string_view bytes) {
  values_.emplace_back(bytes);
  null_.push_back(false);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back();
  null_.push_back(true);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> result;
  result.reserve(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) result.push_back(null_[i] ? nullptr : values_[i].c_str());
  return result;
}

// ---- Result ----

std::int64_t Result::integer(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  const std::string_view view(text, static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (ec != std::errc{} || end != view.data() + view.size()) {
    throw StoreError(ErrorCode::internal, fmt::format("PostgreSQL returned '{}' where a number was expected", view));
  }
  return value;
}

std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::string Result::bytes(int row, int column) const {
  // Text-format bytea is hex: "\x0a1b...".
  const std::string hex = text(row, column);
  if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x' || hex.size() % 2 != 0) {
    throw StoreError(ErrorCode::internal, "PostgreSQL returned a bytea value not in hex format");
  }
  std::string bytes;
  bytes.reserve((hex.size() - 2) / 2);
  for (std::size_t i = 2; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) throw StoreError(ErrorCode::internal, "PostgreSQL returned a malformed bytea value");
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}

std::uint64_t Result::affected() const {
  const char* count = PQcmdTuples(result_.get());
  return count != nullptr && *count != '\0' ? std::stoull(count) : 0;
}

std::string Result::sqlstate() const {
  if (ok()) return {};
  const char* state = PQresultErrorField(result_.get(), PG_DIAG_SQLSTATE);
  return state != nullptr ? state : "";
}

std::string Result::error_message() const {
  if (ok()) return {};
  const char* primary = PQresultErrorField(result_.get(), PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result_.get(), PG_DIAG_MESSAGE_DETAIL);
  std::string text = primary != nullptr ? primary : "";
  if (detail != nullptr) text += fmt::format(" ({})", detail);
  return text;
}

bool Result::ok() const {
  const auto status = PQresultStatus(result_.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// ---- Connection ----

Connection::Connection(std::string uri) : uri_(std::move(uri)), conn_(nullptr, &PQfinish) { ensure_connected(); }

void Connection::ensure_connected() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return;
  prepared_.clear();  // a new session knows no prepared statements
  conn_.reset(PQconnectdb(uri_.c_str()));
  if (!conn_) throw StoreError(ErrorCode::unavailable, "PostgreSQL: out of memory connecting");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    const auto message = one_line(PQerrorMessage(conn_.get()));
    conn_.reset();
    throw StoreError(ErrorCode::unavailable, fmt::format("cannot connect to PostgreSQL: {}", message));
  }
  // Warnings (NOTICE) would go to stderr by default; the server has its own log.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  exec("SET client_min_messages = warning");
}

bool Connection::in_transaction() const {
  return conn_ && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE &&
         PQtransactionStatus(conn_.get()) != PQTRANS_UNKNOWN;
}

void Connection::begin() {
  ensure_connected();
  try {
    exec("BEGIN");
  } catch (const StoreError& e) {
    if (e.code() != ErrorCode::unavailable || (conn_ && PQstatus(conn_.get()) == CONNECTION_OK)) throw;
    ensure_connected();
    exec("BEGIN");
  }
}

void Connection::fail(std::string_view what, const PGresult* result) const {
  const char* state_field = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = state_field != nullptr ? state_field : "";
  const auto message = one_line(result != nullptr ? PQresultErrorMessage(result) : nullptr);
  const auto detail = message.empty() ? one_line(conn_ ? PQerrorMessage(conn_.get()) : "no connection") : message;
  ErrorCode code = ErrorCode::internal;
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK || is_unavailable_state(state)) {
    code = ErrorCode::unavailable;
  } else if (state == "40001" || state == "40P01") {
    code = ErrorCode::conflict;
  }
  throw StoreError(code, fmt::format("PostgreSQL: {}: {}", what, detail));
}

void Connection::exec(std::string_view sql) {
  if (!conn_) throw StoreError(ErrorCode::unavailable, "PostgreSQL: not connected");
  PGresult* raw = PQexec(conn_.get(), std::string(sql).c_str());
  Result result(raw);
  if (!result.ok()) fail("statement failed", raw);
}

Result Connection::run(std::string_view sql, const Params& params) { return run_impl(sql, params, false); }

Result Connection::run_allowing_constraints(std::string_view sql, const Params& params) {
  return run_impl(sql, params, true);
}

Result Connection::run_impl(std::string_view sql, const Params& params, bool allow_constraints) {
  if (!conn_) throw StoreError(ErrorCode::unavailable, "PostgreSQL: not connected");
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    auto name = fmt::format("occhat_{}", prepared_.size() + 1);
    PGresult* raw = PQprepare(conn_.get(), name.c_str(), key.c_str(), 0, nullptr);
    Result prepared(raw);
    if (!prepared.ok()) fail(fmt::format("cannot prepare '{}'", key), raw);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  const auto values = params.pointers();
  PGresult* raw = PQexecPrepared(conn_.get(), it->second.c_str(), params.size(), values.data(), params.lengths(),
                                 params.formats(), /*resultFormat=*/0);
  Result result(raw);
  if (!result.ok()) {
    if (allow_constraints && result.sqlstate().substr(0, 2) == "23") return result;
    fail("query failed", raw);
  }
  return result;
}

// ---- Transaction ----

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.begin(); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    if (conn_.in_transaction()) conn_.exec("ROLLBACK");
  } catch (const StoreError&) {
    // The connection is gone; the server rolled back for us.
  }
}

void Transaction::commit() {
  done_ = true;
  conn_.exec("COMMIT");
}

}  // namespace occhat::store::pg
