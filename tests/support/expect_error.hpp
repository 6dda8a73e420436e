#pragma once
// error_of(f): runs `f` and returns the occhat::Error it throws; the test fails if it throws none.
// Shared by the SDK suites, which check codes, messages and retry_after of SDK errors.

#include <gtest/gtest.h>

#include "occhat/error.hpp"

namespace occhat::test {

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an occhat::Error";
  return Error(ErrorCode::ok, "no error");
}

}  // namespace occhat::test
