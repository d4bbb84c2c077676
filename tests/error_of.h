// error_of(f): the message of the tg::Error that f throws, for tests of error messages. Throwing
// anything else, or nothing, records a test failure and gives "". Shared by every test program.
#pragma once
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include <tapegrad/error.h>

namespace tg_test {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const tg::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected tg::Error, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected tg::Error, nothing was thrown";
  return {};
}

}  // namespace tg_test
