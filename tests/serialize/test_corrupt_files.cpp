// load() on a missing, truncated or malformed file throws tg::Error naming the file (and the
// tensor where one is at fault); it never crashes, reads out of bounds or allocates more than the
// file holds. Each test builds its bad file by hand in a private temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "serialize_test_util.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using tg_test::error_of;
using tg_test::safetensors_bytes;
using tg_test::TempDir;
namespace st = tg::safetensors;

class CorruptFile : public ::testing::Test {
 protected:
  // Writes `bytes` to a file and returns load()'s error message (failing if load succeeds).
  std::string load_error(const std::string& bytes) {
    tg_test::write_bytes(path_, bytes);
    return error_of([&] { st::load(path_); });
  }
  std::string load_error(const std::string& header, const std::string& data) {
    return load_error(safetensors_bytes(header, data));
  }
  TempDir dir_;
  const std::string path_ = dir_.file("bad.safetensors");
};

// Eight bytes of float32 data for "[2]" tensors.
const std::string kTwoFloats(8, '\0');

TEST_F(CorruptFile, MissingFile) {
  const std::string missing = dir_.file("missing.safetensors");
  EXPECT_THAT(error_of([&] { st::load(missing); }),
              AllOf(HasSubstr("safetensors::load"), HasSubstr(missing), HasSubstr("No such file")));
}

TEST_F(CorruptFile, DirectoryIsNotAFile) {
  EXPECT_THAT(error_of([&] { st::load(dir_.path().string()); }),
              AllOf(HasSubstr(dir_.path().string()), HasSubstr("not a regular file")));
}

TEST_F(CorruptFile, EmptyFile) { EXPECT_THAT(load_error(""), AllOf(HasSubstr(path_), HasSubstr("too short"))); }

TEST_F(CorruptFile, ShorterThanTheHeaderLength) {
  EXPECT_THAT(load_error(std::string("\x02\x00\x00", 3)), AllOf(HasSubstr(path_), HasSubstr("3 bytes")));
}

TEST_F(CorruptFile, HeaderLengthLargerThanTheFile) {
  EXPECT_THAT(load_error(tg_test::u64_le(1000) + "{}"),
              AllOf(HasSubstr(path_), HasSubstr("header length 1000"), HasSubstr("2 bytes after it")));
}

TEST_F(CorruptFile, HugeHeaderLengthDoesNotAllocate) {
  EXPECT_THAT(load_error(tg_test::u64_le(~uint64_t{0}) + "{}"),
              AllOf(HasSubstr(path_), HasSubstr("header length 18446744073709551615")));
}

TEST_F(CorruptFile, HeaderAboveTheHundredMegabyteLimit) {
  // A sparse file big enough that the length fits the file: the limit itself must refuse it.
  tg_test::write_bytes(path_, tg_test::u64_le(100'000'001) + "{");
  std::filesystem::resize_file(path_, 8 + 100'000'001 + 16);
  EXPECT_THAT(error_of([&] { st::load(path_); }), AllOf(HasSubstr(path_), HasSubstr("100000001"), HasSubstr("limit")));
}

TEST_F(CorruptFile, HeaderNotStartingWithABrace) {
  EXPECT_THAT(load_error("[1, 2]", ""), AllOf(HasSubstr(path_), HasSubstr("does not start with '{'")));
  EXPECT_THAT(load_error(" {}", ""), AllOf(HasSubstr(path_), HasSubstr("does not start with '{'")));
  EXPECT_THAT(load_error(tg_test::u64_le(0)), AllOf(HasSubstr(path_), HasSubstr("does not start with '{'")));
}

TEST_F(CorruptFile, InvalidJson) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", )", ""), AllOf(HasSubstr(path_), HasSubstr("invalid JSON")));
  EXPECT_THAT(load_error(R"({"w": nope})", ""), AllOf(HasSubstr(path_), HasSubstr("invalid JSON")));
  EXPECT_THAT(load_error("{} trailing", ""), AllOf(HasSubstr(path_), HasSubstr("invalid JSON")));
}

TEST_F(CorruptFile, DeeplyNestedJson) {
  const std::string deep =
      R"({"w": {"dtype": "F32", "extra": )" + std::string(100000, '[') + std::string(100000, ']') + "}}";
  EXPECT_THAT(load_error(deep, ""), AllOf(HasSubstr(path_), HasSubstr("nests deeper than 16")));
}

TEST_F(CorruptFile, UnknownFieldsInAnEntryAreIgnored) {
  tg_test::write_bytes(
      path_, safetensors_bytes(
                 R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": {"a": [1, {"b": null}]}}})",
                 kTwoFloats));
  EXPECT_EQ(st::load(path_).tensors["w"].numel(), 2);
}

TEST_F(CorruptFile, HeaderPaddedWithNulInsteadOfSpaces) {
  EXPECT_THAT(load_error(std::string("{}\0\0", 4), ""), AllOf(HasSubstr(path_), HasSubstr("NUL byte at offset 2")));
  // Whatever follows a NUL must not be ignored either.
  EXPECT_THAT(load_error(std::string("{}\0{\"w\": 1}", 11), ""), AllOf(HasSubstr(path_), HasSubstr("NUL")));
}

TEST_F(CorruptFile, InvalidUtf8InTheHeader) {
  EXPECT_THAT(load_error("{\"w\xff\": {}}", ""), AllOf(HasSubstr(path_), HasSubstr("invalid JSON")));
}

TEST_F(CorruptFile, SpacePaddingIsAccepted) {
  tg_test::write_bytes(path_, safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"
                                                "      ",
                                                kTwoFloats));
  EXPECT_EQ(st::load(path_).tensors["w"].numel(), 2);
}

TEST_F(CorruptFile, EntryThatIsNotAnObject) {
  EXPECT_THAT(load_error(R"({"w": [1, 2]})", ""), AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("array")));
  EXPECT_THAT(load_error(R"({"w": "F32"})", ""), AllOf(HasSubstr(path_), HasSubstr("tensor 'w'")));
}

TEST_F(CorruptFile, UnknownDtypeIsNamed) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("dtype 'Q7'")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("'F8_E4M3'")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "f32", "shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("'f32'")));  // names are case-sensitive
}

TEST_F(CorruptFile, MissingFields) {
  EXPECT_THAT(load_error(R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("dtype")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("shape")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data_offsets")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": 3, "shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("dtype")));
}

TEST_F(CorruptFile, NegativeOrNonIntegerDims) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("[-2]"), HasSubstr("non-negative")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("non-negative integer")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("shape")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [true], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("non-negative integer")));
}

TEST_F(CorruptFile, ShapeWhoseProductOverflows) {
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", kTwoFloats),
      AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  // numel 0, but the strides tapegrad would compute still overflow.
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}})", ""),
      AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  // Fits int64 elements but not bytes.
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 8]}})", kTwoFloats),
      AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 8]}})", kTwoFloats),
      AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 8]}})", kTwoFloats),
      AllOf(HasSubstr("tensor 'w'")));  // beyond uint64: parsed as a float, refused
}

TEST_F(CorruptFile, ByteCountNotMatchingDtypeAndShape) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("hold 8 bytes"), HasSubstr("need 12")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("need 16")));
}

TEST_F(CorruptFile, OffsetsOutOfRange) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("past the end of the 8-byte")));
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551608, 0]}})", kTwoFloats),
      AllOf(HasSubstr("tensor 'w'"), HasSubstr("end before they begin")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data_offsets")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 16]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data_offsets")));
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0.0, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data_offsets")));
}

TEST_F(CorruptFile, OverlappingTensorsNameBoth) {
  EXPECT_THAT(load_error(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                         std::string(12, '\0')),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'b'"), HasSubstr("overlap"), HasSubstr("'a'")));
  // Two names for the same bytes.
  EXPECT_THAT(load_error(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})",
                         kTwoFloats),
              AllOf(HasSubstr("overlap"), HasSubstr("'a'"), HasSubstr("'b'")));
}

TEST_F(CorruptFile, HoleBetweenTensors) {
  EXPECT_THAT(load_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                             "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                         std::string(12, '\0')),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'b'"), HasSubstr("hole"), HasSubstr("[4, 8)")));
  EXPECT_THAT(load_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", kTwoFloats),
              AllOf(HasSubstr("tensor 'a'"), HasSubstr("hole"), HasSubstr("[0, 4)")));
}

TEST_F(CorruptFile, TrailingBytesAfterTheLastTensor) {
  EXPECT_THAT(load_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("has 8 bytes"), HasSubstr("cover only 4")));
  EXPECT_THAT(load_error("{}", "x"), AllOf(HasSubstr(path_), HasSubstr("has 1 bytes")));
}

TEST_F(CorruptFile, TruncatedFileNamesTheTensorCut) {
  tg::OrderedDict<std::string, tg::Tensor> tensors("Tensor");
  tensors.insert("first", tg::ones({4}));
  tensors.insert("second", tg::ones({4}));
  st::save(path_, tensors);
  const std::string whole = tg_test::read_bytes(path_);
  EXPECT_THAT(load_error(whole.substr(0, whole.size() - 3)),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'second'"), HasSubstr("truncated")));
}

TEST_F(CorruptFile, DuplicateTensorName) {
  EXPECT_THAT(load_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                             "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                         kTwoFloats),
              AllOf(HasSubstr(path_), HasSubstr("duplicate tensor name 'w'")));
}

TEST_F(CorruptFile, DuplicateKeyInsideAnEntry) {
  EXPECT_THAT(
      load_error(R"({"w": {"dtype": "F32", "dtype": "F64", "shape": [2], "data_offsets": [0, 8]}})", kTwoFloats),
      AllOf(HasSubstr(path_), HasSubstr("tensor 'w'"), HasSubstr("duplicate key 'dtype'")));
}

TEST_F(CorruptFile, MetadataMustMapStringsToStrings) {
  EXPECT_THAT(load_error(R"({"__metadata__": [1]})", ""), AllOf(HasSubstr(path_), HasSubstr("__metadata__")));
  EXPECT_THAT(load_error(R"({"__metadata__": {"epoch": 3}})", ""),
              AllOf(HasSubstr(path_), HasSubstr("__metadata__"), HasSubstr("'epoch'")));
}

TEST_F(CorruptFile, BoolBytesOtherThanZeroOrOne) {
  EXPECT_THAT(load_error(R"({"mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}})",
                         std::string("\x01\x00\x02", 3)),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'mask'"), HasSubstr("element 2"), HasSubstr("byte value 2")));
}

TEST_F(CorruptFile, U64ValueBeyondInt64) {
  EXPECT_THAT(load_error(R"({"n": {"dtype": "U64", "shape": [1], "data_offsets": [0, 8]}})", std::string(8, '\xff')),
              AllOf(HasSubstr(path_), HasSubstr("tensor 'n'"), HasSubstr("does not fit")));
}

// Every truncation and many single-byte corruptions of a valid file either load or throw
// tg::Error: never a crash (the sanitizer build runs this too).
TEST_F(CorruptFile, EveryTruncationAndByteFlipThrowsOrLoads) {
  tg::OrderedDict<std::string, tg::Tensor> tensors("Tensor");
  tensors.insert("f", tg::arange(3, tg::kFloat32));
  tensors.insert("d", tg::arange(2, tg::kFloat64));
  tensors.insert("i", tg::arange(2, tg::kInt64));
  tensors.insert("b", tg::ones({3}, tg::kBool));
  tensors.insert("s", tg::scalar_tensor(1.0));
  st::save(path_, tensors, {{"k", "v"}});
  const std::string good = tg_test::read_bytes(path_);
  for (std::size_t len = 0; len < good.size(); ++len) {
    tg_test::write_bytes(path_, good.substr(0, len));
    EXPECT_THROW(st::load(path_), tg::Error) << "truncated to " << len << " bytes";
  }
  const char replacements[] = {'\0', '\xff', '{', '}', '"', '[', ']', ',', ':', '9', '-', ' ', 'e'};
  int loaded = 0, refused = 0;
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (char c : replacements) {
      if (good[pos] == c) continue;
      std::string bad = good;
      bad[pos] = c;
      tg_test::write_bytes(path_, bad);
      try {
        st::load(path_);
        ++loaded;
      } catch (const tg::Error&) {
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);  // data bytes (and some header digits) may change without breaking the file
}

// The dtypes tapegrad converts on load, written by hand (PyTorch-written ones are in
// tests/fixtures/interop/dtypes.safetensors).
TEST_F(CorruptFile, NarrowDtypesAreConverted) {
  const std::string data = std::string("\x00\x3c\x00\xc0\x01\x00", 6)  // F16 1, -2, 2^-24
                           + std::string("\x80\x3f\x40\xc0", 4)        // BF16 1, -3
                           + std::string("\xff\xff\xff\xff", 4)        // I32 -1
                           + std::string("\xff", 1)                    // U8 255
                           + std::string("\xfe", 1);                   // I8 -2
  tg_test::write_bytes(path_, safetensors_bytes(
                                  R"({"h": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
          "bf": {"dtype": "BF16", "shape": [2], "data_offsets": [6, 10]},
          "i32": {"dtype": "I32", "shape": [], "data_offsets": [10, 14]},
          "u8": {"dtype": "U8", "shape": [1], "data_offsets": [14, 15]},
          "i8": {"dtype": "I8", "shape": [1], "data_offsets": [15, 16]}})",
                                  data));
  st::File file = st::load(path_);
  EXPECT_EQ(file.tensors["h"].dtype(), tg::kFloat32);
  EXPECT_EQ(file.tensors["h"].data_ptr<float>()[0], 1.0f);
  EXPECT_EQ(file.tensors["h"].data_ptr<float>()[1], -2.0f);
  EXPECT_EQ(file.tensors["h"].data_ptr<float>()[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(file.tensors["bf"].data_ptr<float>()[0], 1.0f);
  EXPECT_EQ(file.tensors["bf"].data_ptr<float>()[1], -3.0f);
  EXPECT_EQ(file.tensors["i32"].dtype(), tg::kInt64);
  EXPECT_EQ(file.tensors["i32"].item<int64_t>(), -1);
  EXPECT_EQ(file.tensors["u8"].item<int64_t>(), 255);
  EXPECT_EQ(file.tensors["i8"].item<int64_t>(), -2);
}

TEST_F(CorruptFile, TensorsComeBackInDataOrder) {
  tg_test::write_bytes(path_, safetensors_bytes(
                                  R"({"second": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
          "empty": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]},
          "first": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                                  kTwoFloats));
  EXPECT_EQ(st::load(path_).tensors.keys(), (std::vector<std::string>{"first", "empty", "second"}));
}

}  // namespace
