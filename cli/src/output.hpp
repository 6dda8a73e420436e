#pragma once
// Everything the CLI prints goes through Output, so text and --json stay in step.
//
// Success: one text line on stdout, or with --json one JSON object (one line) on stdout.
// Failure: one line "occhat: <message>" on stderr, or with --json one object on stdout
//   {"error":{"code":"auth_failed","message":"...","exit_code":3[,"retry_after_ms":N]}}
//   and nothing on stderr.
// JSON is always produced by nlohmann::json, never by hand.

#include <string>

#include <nlohmann/json.hpp>

#include "occhat/error.hpp"

namespace occhat::cli {

// Keys keep their insertion order, so output reads like the documentation.
using Json = nlohmann::ordered_json;

class Output {
 public:
  explicit Output(bool json) : json_(json) {}

  bool json() const noexcept { return json_; }

  // Prints a successful result in whichever form was asked for, flushed. Throws Error(internal)
  // when stdout cannot be written (closed pipe, full disk).
  void result(const std::string& text, const Json& object) const;

  // Prints `error` and returns the process exit code for it.
  int error(const Error& error) const;

 private:
  bool json_;
};

}  // namespace occhat::cli
