// Tiny command-line parsing for the examples: --name value pairs and --flag switches.
#pragma once
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace examples {

class Args {
 public:
  Args(int argc, char** argv, std::map<std::string, std::string> defaults, std::string usage)
      : values_(std::move(defaults)), usage_(std::move(usage)) {
    for (int i = 1; i < argc; ++i) {
      std::string key = argv[i];
      if (key == "--help" || key == "-h") {
        std::cout << usage_ << "\n";
        std::exit(0);
      }
      if (key.rfind("--", 0) != 0 || !values_.count(key.substr(2))) fail("unknown argument " + key);
      if (i + 1 >= argc) fail("missing value for " + key);
      values_[key.substr(2)] = argv[++i];
    }
  }
  std::string str(const std::string& key) const { return values_.at(key); }
  long long integer(const std::string& key) const {
    char* end = nullptr;
    const std::string& v = values_.at(key);
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') fail("--" + key + " expects an integer, got \"" + v + "\"");
    return x;
  }
  double number(const std::string& key) const {
    char* end = nullptr;
    const std::string& v = values_.at(key);
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') fail("--" + key + " expects a number, got \"" + v + "\"");
    return x;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << "error: " << message << "\n" << usage_ << "\n";
    std::exit(2);
  }
  std::map<std::string, std::string> values_;
  std::string usage_;
};

}  // namespace examples
