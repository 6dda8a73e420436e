#pragma once
// One libpq connection, with RAII results, statements prepared on first use and libpq failures
// mapped to StoreError codes:
//   unavailable  the connection is gone or the server refuses work (SQLSTATE classes 08, 53,
//                57P01-57P03): the caller may retry; the next call reconnects
//   conflict     a serialization failure or deadlock (40001, 40P01): retrying the call succeeds
//   internal     anything else (a bug, a constraint this code did not expect, corruption)
// Constraint violations a query expects (a taken id, a missing user) come back as a Result
// whose sqlstate() the caller inspects: run(..., allow_constraint) does not throw for class 23.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "occhat/store/store.hpp"

namespace occhat::store::pg {

// Query parameters, all sent as text except bytea, sent binary.
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(std::uint64_t value) { return add(static_cast<std::int64_t>(value)); }
  Params& add(std::uint32_t value) { return add(std::int64_t{value}); }
  Params& add(int value) { return add(std::int64_t{value}); }
  Params& add(std::string_view text);
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add_bytes(std::span<const std::uint8_t> bytes);
  Params& add_bytes(std::string_view bytes);
  Params& add_null();

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

class Result {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool empty() const { return rows() == 0; }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::int64_t integer(int row, int column) const;
  std::string text(int row, int column) const;
  std::string bytes(int row, int column) const;  // a bytea column, decoded
  // Rows an INSERT/UPDATE/DELETE touched.
  std::uint64_t affected() const;
  // The SQLSTATE of a failed statement ("" when it succeeded).
  std::string sqlstate() const;
  // What failed, with its detail ("" when it succeeded).
  std::string error_message() const;
  bool ok() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class Connection {
 public:
  // Connects to `uri` (any libpq connection string). Throws StoreError(unavailable) if the
  // server cannot be reached, naming the host and port but never the password.
  explicit Connection(std::string uri);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` as a prepared statement (prepared on this connection the first time).
  Result run(std::string_view sql, const Params& params = {});
  // As run(), but a constraint violation (SQLSTATE class 23) is returned, not thrown.
  Result run_allowing_constraints(std::string_view sql, const Params& params = {});
  // Runs one or more statements without parameters (migrations, BEGIN/COMMIT).
  void exec(std::string_view sql);

  // Reconnects if the connection broke (the server restarted): called before each Store call,
  // so a call made after the database came back succeeds. Throws StoreError(unavailable) if the
  // server is still away.
  void ensure_connected();
  bool in_transaction() const;
  // BEGIN. A connection found broken here (cut while idle: a database restart, an idle
  // timeout) is replaced once and BEGIN sent again: nothing was done on it yet, so retrying
  // is safe. A connection lost later fails the call with unavailable.
  void begin();

  // What failed, as a StoreError: unavailable when the connection is gone.
  [[noreturn]] void fail(std::string_view what, const PGresult* result) const;

 private:
  Result run_impl(std::string_view sql, const Params& params, bool allow_constraints);

  std::string uri_;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

// BEGIN on construction, ROLLBACK unless commit() ran. A failed COMMIT throws.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// Runs `f` in its own transaction: one Store call = one transaction = one commit.
template <typename F>
auto in_transaction(Connection& conn, F f) {
  Transaction tx(conn);
  auto result = f();
  tx.commit();
  return result;
}

}  // namespace occhat::store::pg
