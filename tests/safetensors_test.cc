// safetensors: round trips of every dtype (scalars, empty tensors, special
// values), byte-exact layout against files built by hand and the reference
// implementation's own test vectors, every kind of corrupt header (made by
// editing a good file), truncation at every byte, single-byte damage
// everywhere, and the atomic write failing in real ways (missing folder,
// file size limit hit midway, rename refused) without leaving a temporary
// file or touching the old one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "actlab/safetensors.h"

namespace actlab::safetensors {
namespace {
namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "actlab_st_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  // Files in the folder whose name contains ".tmp." (left-over temporaries).
  std::vector<std::string> temporaries(const fs::path& folder) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) {
      if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
    }
    return out;
  }
  fs::path dir_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int b = 0; b < 8; ++b) s[b] = static_cast<char>(v >> (8 * b));
  return s;
}

template <class T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// The file split into its JSON header (with any padding) and tensor data.
struct Parts {
  std::string header, data;
};
Parts split(const std::string& file) {
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= uint64_t{static_cast<unsigned char>(file[b])} << (8 * b);
  return {file.substr(8, n), file.substr(8 + n)};
}
std::string join(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

// `file` with the first `from` in its header replaced by `to`, and the
// length field updated: a header edited by hand, tensor bytes untouched.
std::string edit(const std::string& file, const std::string& from, const std::string& to) {
  Parts p = split(file);
  size_t at = p.header.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in " << p.header;
  if (at == std::string::npos) return file;
  p.header.replace(at, from.size(), to);
  return join(p.header, p.data);
}

// Reading `bytes` (saved as `name`) must throw Error "PATH: ...PROBLEM...".
void expect_read_error(const std::string& path, const std::string& bytes, const std::string& problem) {
  spit(path, bytes);
  try {
    read(path);
    ADD_FAILURE() << "read accepted a bad file; expected '" << problem << "'";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << "message: " << msg << "\nexpected: " << problem;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// ---- the good file every corruption starts from -------------------------------------

const std::vector<float> kA = {1.0f, -2.0f};
const std::vector<float> kB = {0.5f, 0.25f, -0.0f};
const std::vector<uint8_t> kC = {1, 2, 3, 4};

std::string good_file(const std::string& path) {
  std::vector<TensorRef> t = {{"c", DType::U8, {4}, kC.data()},
                              {"a", DType::F32, {2}, kA.data()},
                              {"b", DType::F32, {3}, kB.data()}};
  write(path, t, {{"k", "v"}});
  return slurp(path);
}

// ---- dtypes -------------------------------------------------------------------------

TEST(SafetensorsDType, NamesSizes) {
  EXPECT_STREQ(dtype_name(DType::F32), "F32");
  EXPECT_STREQ(dtype_name(DType::F64), "F64");
  EXPECT_STREQ(dtype_name(DType::I32), "I32");
  EXPECT_STREQ(dtype_name(DType::I64), "I64");
  EXPECT_STREQ(dtype_name(DType::U8), "U8");
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::F64), 8u);
  EXPECT_EQ(dtype_size(DType::I32), 4u);
  EXPECT_EQ(dtype_size(DType::I64), 8u);
  EXPECT_EQ(dtype_size(DType::U8), 1u);
  static_assert(dtype_of<float>() == DType::F32 && dtype_of<double>() == DType::F64 &&
                dtype_of<int32_t>() == DType::I32 && dtype_of<int64_t>() == DType::I64 &&
                dtype_of<uint8_t>() == DType::U8);
  EXPECT_THROW(dtype_name(static_cast<DType>(99)), Error);
}

// ---- round trips ----------------------------------------------------------------------

TEST_F(SafetensorsTest, RoundTripEveryDTypeScalarsEmptyAndSpecialValues) {
  const float fnan = std::bit_cast<float>(uint32_t{0x7fc01234});  // NaN with a payload
  const double dnan = std::bit_cast<double>(uint64_t{0xfff8000000abcdefull});
  std::vector<float> f32 = {0.0f, -0.0f, 1.5f, std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::infinity(), fnan};
  std::vector<double> f64 = {M_PI, -1e-300, std::numeric_limits<double>::denorm_min(), dnan,
                             std::numeric_limits<double>::infinity(), -0.0};
  std::vector<int32_t> i32 = {std::numeric_limits<int32_t>::min(), -1, 0, std::numeric_limits<int32_t>::max()};
  std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), 42, std::numeric_limits<int64_t>::max()};
  std::vector<uint8_t> u8 = {0, 1, 127, 128, 255};
  double scalar_f64 = 2.5;
  int32_t scalar_i32 = -7;
  uint8_t scalar_u8 = 9;
  std::vector<TensorRef> t = {
      {"f32", DType::F32, {7}, f32.data()},
      {"f64", DType::F64, {2, 3}, f64.data()},
      {"i32", DType::I32, {2, 1, 2}, i32.data()},
      {"i64", DType::I64, {3}, i64.data()},
      {"u8", DType::U8, {5}, u8.data()},
      {"scalar_f64", DType::F64, {}, &scalar_f64},
      {"scalar_i32", DType::I32, {}, &scalar_i32},
      {"scalar_u8", DType::U8, {}, &scalar_u8},
      {"empty_f32", DType::F32, {0}, nullptr},
      {"empty_i64", DType::I64, {2, 0, 3}, nullptr},
      {"empty_u8", DType::U8, {0}, u8.data()},
      {"", DType::F32, {1}, f32.data() + 2},  // the format allows an empty name
  };
  std::map<std::string, std::string> meta = {{"format", "pt"},
                                             {"quote \" backslash \\ newline \n tab \t", "ctrl \x01\x1f"},
                                             {"unicode \xc3\xa9 \xe2\x9c\x93", ""},
                                             {"", "empty key"}};
  const std::string path = at("all.safetensors");
  write(path, t, meta);
  File f = read(path);
  EXPECT_EQ(f.path, path);
  EXPECT_EQ(f.metadata, meta);
  ASSERT_EQ(f.tensors.size(), t.size());
  for (const TensorRef& r : t) {
    ASSERT_TRUE(f.has(r.name)) << r.name;
    const Tensor& got = f.tensors.at(r.name);
    EXPECT_EQ(got.dtype, r.dtype) << r.name;
    EXPECT_EQ(got.shape, r.shape) << r.name;
    size_t n = 1;
    for (int64_t d : r.shape) n *= static_cast<size_t>(d);
    EXPECT_EQ(got.elements(), n) << r.name;
    ASSERT_EQ(got.bytes.size(), n * dtype_size(r.dtype)) << r.name;
    // Bit-exact: NaN payloads, -0.0 and denormals survive.
    if (n) {
      EXPECT_EQ(std::memcmp(got.bytes.data(), r.data, got.bytes.size()), 0) << r.name;
    }
  }
  // get<T>: values, shape check, empty and scalar.
  std::vector<float> g32 = f.get<float>("f32", {7});
  EXPECT_EQ(raw(g32), raw(f32));
  EXPECT_EQ(raw(f.get<double>("f64", {2, 3})), raw(f64));
  EXPECT_EQ(f.get<int32_t>("i32"), i32);
  EXPECT_EQ(f.get<int64_t>("i64"), i64);
  EXPECT_EQ(f.get<uint8_t>("u8"), u8);
  EXPECT_EQ(f.get<double>("scalar_f64"), std::vector<double>{2.5});
  EXPECT_EQ(f.get<int32_t>("scalar_i32"), std::vector<int32_t>{-7});
  EXPECT_EQ(f.get<uint8_t>("scalar_u8"), std::vector<uint8_t>{9});
  EXPECT_TRUE(f.get<float>("empty_f32", {0}).empty());
  EXPECT_TRUE(f.get<int64_t>("empty_i64", {2, 0, 3}).empty());
  EXPECT_EQ(f.get<float>(""), std::vector<float>{1.5f});
  EXPECT_FALSE(f.has("missing"));
}

TEST_F(SafetensorsTest, NoTensorsNoMetadata) {
  const std::string path = at("empty.safetensors");
  write(path, {}, {});
  // The reference writer's bytes for an empty dict (its test_empty).
  EXPECT_EQ(slurp(path), le64(8) + "{}      ");
  File f = read(path);
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
}

TEST_F(SafetensorsTest, GetErrorsNameFileTensorAndDifference) {
  const std::string path = at("g.safetensors");
  good_file(path);
  File f = read(path);
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(msg([&] { f.get<float>("zz"); }), path + ": no tensor 'zz' (the file holds 'a', 'b', 'c')");
  EXPECT_EQ(msg([&] { f.get<double>("a"); }), path + ": tensor 'a' is F32, read as F64; ask for the stored type");
  EXPECT_EQ(msg([&] { f.get<uint8_t>("a"); }), path + ": tensor 'a' is F32, read as U8; ask for the stored type");
  EXPECT_EQ(msg([&] { f.get<float>("a", {1, 2}); }), path + ": tensor 'a' has shape [2], expected [1, 2]");
  EXPECT_EQ(f.get<float>("a", {2}), kA);
  EXPECT_EQ(f.get<uint8_t>("c"), kC);
}

// ---- layout, byte for byte --------------------------------------------------------------

// Built by hand from the format description: header in file order with
// "__metadata__" first, padded with spaces to a multiple of 8; tensors by
// element size descending (I64, F64, F32, I32, U8) then name; no gaps.
TEST_F(SafetensorsTest, ByteExactAgainstHandBuiltLayout) {
  std::vector<float> w = {1.0f, -2.0f};
  std::vector<uint8_t> b = {1, 2, 3};
  int64_t n = -1;
  std::vector<int32_t> i = {7};
  std::vector<int64_t> m = {5, 6};
  std::vector<TensorRef> t = {{"w", DType::F32, {2}, w.data()},   {"b", DType::U8, {3}, b.data()},
                              {"n", DType::I64, {}, &n},          {"d", DType::F64, {0}, nullptr},
                              {"i", DType::I32, {1, 1}, i.data()}, {"m", DType::I64, {2}, m.data()}};
  const std::string path = at("layout.safetensors");
  write(path, t, {{"format", "pt"}, {"alpha", "1"}});
  std::string header =
      R"({"__metadata__":{"alpha":"1","format":"pt"},)"
      R"("m":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
      R"("n":{"dtype":"I64","shape":[],"data_offsets":[16,24]},)"
      R"("d":{"dtype":"F64","shape":[0],"data_offsets":[24,24]},)"
      R"("w":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("i":{"dtype":"I32","shape":[1,1],"data_offsets":[32,36]},)"
      R"("b":{"dtype":"U8","shape":[3],"data_offsets":[36,39]}})";
  ASSERT_EQ(header.size(), 373u);
  header += "   ";  // to 376 = 47 * 8
  std::string data;
  data += std::string("\x05\0\0\0\0\0\0\0", 8) + std::string("\x06\0\0\0\0\0\0\0", 8);  // m
  data += std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8);                          // n = -1
  data += std::string("\0\0\x80\x3f", 4) + std::string("\0\0\0\xc0", 4);               // w = 1.0f, -2.0f
  data += std::string("\x07\0\0\0", 4);                                                // i
  data += std::string("\x01\x02\x03", 3);                                              // b
  std::string expect = std::string("\x78\x01\0\0\0\0\0\0", 8) + header + data;  // 376 = 0x178
  EXPECT_EQ(slurp(path), expect);

  // Input order does not matter.
  std::vector<TensorRef> reversed(t.rbegin(), t.rend());
  write(path, reversed, {{"alpha", "1"}, {"format", "pt"}});
  EXPECT_EQ(slurp(path), expect);
}

// The reference implementation's own test vectors (tensor.rs tests
// test_serialization, test_serialization_forced_alignement, test_empty).
TEST_F(SafetensorsTest, ByteExactAgainstReferenceTestVectors) {
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};
  const std::string data = raw(v);
  const std::string path = at("ref.safetensors");

  std::vector<TensorRef> t1 = {{"attn.0", DType::F32, {1, 2, 3}, v.data()}};
  write(path, t1, {});
  EXPECT_EQ(slurp(path), le64(64) + R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})" + data);
  EXPECT_EQ(read(path).get<float>("attn.0", {1, 2, 3}), v);

  std::vector<TensorRef> t2 = {{"attn0", DType::F32, {1, 1, 2, 3}, v.data()}};
  write(path, t2, {});
  EXPECT_EQ(slurp(path),
            le64(72) + R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})" + "       " + data);

  write(path, {}, {{"framework", "pt"}});
  EXPECT_EQ(slurp(path), le64(40) + R"({"__metadata__":{"framework":"pt"}})" + "     ");
  EXPECT_EQ(read(path).metadata.at("framework"), "pt");
}

// ---- what the reference reader accepts, so must we ---------------------------------------

TEST_F(SafetensorsTest, AcceptsWhatTheReferenceReaderAccepts) {
  const std::string path = at("ok.safetensors");
  const std::string good = good_file(path);
  auto accepts = [&](const std::string& bytes, const char* what) {
    spit(path, bytes);
    try {
      File f = read(path);
      EXPECT_EQ(f.get<float>("a"), kA) << what;
      EXPECT_EQ(f.get<uint8_t>("c"), kC) << what;
    } catch (const Error& e) {
      ADD_FAILURE() << what << ": " << e.what();
    }
  };
  accepts(good, "as written");
  Parts p = split(good);
  // No padding, leading whitespace, NUL-free trailing whitespace of any kind.
  std::string trimmed = p.header.substr(0, p.header.find_last_not_of(' ') + 1);
  accepts(join(trimmed, p.data), "unpadded header");
  accepts(join(" \n\t" + trimmed + "\r\n ", p.data), "whitespace around the JSON");
  accepts(edit(good, R"("dtype":"F32","shape":[2])", R"("extra":[1,{"x":null}],"dtype":"F32","shape":[2])"),
          "unknown key in an entry");
  // Entries in any order in the header; tensors in any order in the data,
  // even unaligned ones (U8 first, then F32 at byte 4 + 1).
  std::string c_first = R"({"c":{"dtype":"U8","shape":[5],"data_offsets":[0,5]},)"
                        R"("b":{"dtype":"F32","shape":[3],"data_offsets":[13,25]},)"
                        R"("a":{"dtype":"F32","shape":[2],"data_offsets":[5,13]}})";
  std::vector<uint8_t> c5 = {1, 2, 3, 4, 0};
  spit(path, join(c_first, raw(c5) + raw(kA) + raw(kB)));
  File f = read(path);
  EXPECT_EQ(f.get<float>("a"), kA);
  EXPECT_EQ(raw(f.get<float>("b")), raw(kB));
  EXPECT_EQ(f.get<uint8_t>("c", {5}), c5);
  EXPECT_TRUE(f.metadata.empty());
  // An empty tensor may sit at any offset inside the data.
  accepts(edit(good, R"("c":)", R"("z":{"dtype":"I64","shape":[0,5],"data_offsets":[8,8]},"c":)"),
          "empty tensor between others");
}

// ---- corruption -----------------------------------------------------------------------------

TEST_F(SafetensorsTest, CorruptionLengthField) {
  const std::string path = at("model.safetensors");
  const std::string good = good_file(path);
  const std::string header = split(good).header;
  const uint64_t json_bytes = header.find_last_of('}') + 1;
  expect_read_error(path, "", "empty file, not a safetensors file");
  expect_read_error(path, std::string("\x10\0\0", 3), "only 3 bytes: not a safetensors file");
  expect_read_error(path, "hello world, this is a text file\n", "not a safetensors file: its first 8 bytes give a header length of");
  expect_read_error(path, le64(100'000'001) + "{}", "over the format's 100 MB limit");
  expect_read_error(path, le64(~uint64_t{0}) + "{}", "over the format's 100 MB limit");
  expect_read_error(path, le64(good.size() - 7) + good.substr(8),
                    "truncated: header says its JSON is " + std::to_string(good.size() - 7) + " bytes, file holds " +
                        std::to_string(good.size() - 8) + " after the length field; the file was cut short (interrupted copy?)");
  // A length that cuts the JSON short.
  expect_read_error(path, le64(json_bytes - 1) + good.substr(8), "header is not valid JSON");
  expect_read_error(path, le64(0) + good.substr(8), "header is not valid JSON");
}

TEST_F(SafetensorsTest, CorruptionNotJson) {
  const std::string path = at("model.safetensors");
  const std::string good = good_file(path);
  const Parts p = split(good);
  expect_read_error(path, edit(good, R"({"__metadata__")", R"({__metadata__")"), "header is not valid JSON (parse error at");
  expect_read_error(path, edit(good, "}}", "}"), "header is not valid JSON");
  // NUL padding instead of spaces: the reference rejects it too.
  std::string json = p.header.substr(0, p.header.find_last_of('}') + 1);
  expect_read_error(path, join(json + std::string(3, '\0'), p.data), "header is not valid JSON (a NUL byte at byte");
  // nlohmann stops at a NUL; what follows must not be ignored.
  expect_read_error(path, join(json + std::string(1, '\0') + "garbage", p.data), "header is not valid JSON (a NUL byte");
  expect_read_error(path, edit(good, R"("a":)", std::string("\0\"a\":", 5)), "a NUL byte at byte");
  expect_read_error(path, join(json + "   x", p.data), "header is not valid JSON");
  expect_read_error(path, edit(good, R"("c":)", "\"\xff\":"), "header is not valid JSON");  // not UTF-8
  expect_read_error(path, edit(good, R"("c":)", "\"\xc3\":"), "header is not valid JSON");  // cut UTF-8
  expect_read_error(path, join("[1,2,3] ", p.data), "header is a JSON array, expected an object; not a safetensors file");
  expect_read_error(path, join("\"text\"", p.data), "header is a JSON string, expected an object");
}

// A corrupted long string (an actlab checkpoint keeps its training history in one) must not put the
// whole string into the message: nlohmann quotes the token it was reading.
TEST_F(SafetensorsTest, CorruptionInsideALongStringGivesAShortLine) {
  const std::string path = at("model.safetensors");
  std::vector<TensorRef> t = {{"a", DType::F32, {2}, kA.data()}};
  write(path, t, {{"history", std::string(4000, 'x')}});
  std::string bytes = slurp(path);
  bytes[bytes.find(std::string(10, 'x')) + 3000] = '\x01';
  expect_read_error(path, bytes, "control character U+0001 (SOH) must be escaped");
  try {
    read(path);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_LT(msg.size() - path.size(), 320u) << msg;  // it was 4000+ before the quote was cut
    EXPECT_NE(msg.find("more bytes)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("column"), std::string::npos) << "the position must stay in the message: " << msg;
  }
}

TEST_F(SafetensorsTest, CorruptionDuplicates) {
  const std::string path = at("model.safetensors");
  const std::string good = good_file(path);
  expect_read_error(path, edit(good, R"("b":{)", R"("a":{)"), "tensor 'a' appears twice in the header");
  expect_read_error(path, edit(good, R"("shape":[3],)", R"("shape":[3],"shape":[3],)"),
                    "key 'shape' appears twice in the entry of tensor 'b'");
  expect_read_error(path, edit(good, R"({"k":"v"})", R"({"k":"v","k":"w"})"),
                    "key 'k' appears twice in the entry of \"__metadata__\"");
  expect_read_error(path, edit(good, R"("a":{)", R"("__metadata__":{},"a":{)"), "\"__metadata__\" appears twice");
}

TEST_F(SafetensorsTest, CorruptionDTypesAndShapes) {
  const std::string path = at("model.safetensors");
  const std::string good = good_file(path);
  const std::string a = R"("a":{"dtype":"F32","shape":[2])";
  auto a_as = [&](const std::string& to) { return edit(good, a, to); };
  expect_read_error(path, a_as(R"("a":{"dtype":"X32","shape":[2])"), "tensor 'a': unknown dtype \"X32\"");
  expect_read_error(path, a_as(R"("a":{"dtype":"f32","shape":[2])"), "unknown dtype \"f32\" (safetensors dtypes are upper case");
  expect_read_error(path, a_as(R"("a":{"dtype":"F16","shape":[4])"),
                    "tensor 'a': dtype F16 is valid safetensors but actlab stores only F32, F64, I32, I64, U8");
  expect_read_error(path, a_as(R"("a":{"dtype":32,"shape":[2])"), "tensor 'a': \"dtype\" is a JSON number");
  expect_read_error(path, a_as(R"("a":{"shape":[2])"), "tensor 'a': no \"dtype\"");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32")"), "tensor 'a': no \"shape\"");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[-2])"), "tensor 'a': shape [-2] holds -2, not a non-negative integer");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[2.0])"), "holds 2.0, not a non-negative integer");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":["2"])"), "not a non-negative integer");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[1e30])"), "not a non-negative integer");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":2)"), "tensor 'a': \"shape\" is a JSON number, expected an array");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[9223372036854775808])"), "has a dimension over 2^63 - 1");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[4294967296,4294967296])"),
                    "tensor 'a': shape [4294967296, 4294967296] of F32 is too large (its byte count overflows 64 bits)");
  // 2^62 elements fit; 2^62 * 4 bytes do not.
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[4611686018427387904])"), "overflows 64 bits");
  // The reference multiplies left to right, so a later 0 does not rescue it.
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[4294967296,4294967296,0])"), "overflows 64 bits");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[3])"),
                    "tensor 'a': shape [3] of F32 needs 12 bytes, but data_offsets [0,8] hold 8");
  expect_read_error(path, a_as(R"("a":{"dtype":"F64","shape":[2])"), "shape [2] of F64 needs 16 bytes, but data_offsets [0,8] hold 8");
  expect_read_error(path, a_as(R"("a":{"dtype":"F32","shape":[])"), "shape [] of F32 needs 4 bytes");
  expect_read_error(path, edit(good, R"("c":{"dtype":"U8","shape":[4],"data_offsets":[20,24]})", R"("c":5)"),
                    "tensor 'c': entry is a JSON number, expected an object");
}

TEST_F(SafetensorsTest, CorruptionOffsets) {
  const std::string path = at("model.safetensors");
  // Header: a F32[2] [0,8), b F32[3] [8,20), c U8[4] [20,24).
  const std::string good = good_file(path);
  ASSERT_NE(split(good).header.find(R"("data_offsets":[8,20])"), std::string::npos) << split(good).header;
  expect_read_error(path, edit(good, "[0,8]", "[0,8,9]"), "tensor 'a': \"data_offsets\" is [0,8,9], expected [BEGIN, END]");
  expect_read_error(path, edit(good, "[0,8]", "[-1,7]"), "\"data_offsets\" is [-1,7], expected [BEGIN, END]");
  expect_read_error(path, edit(good, "[0,8]", "[0,8.0]"), "expected [BEGIN, END] as two non-negative integers");
  expect_read_error(path, edit(good, "[0,8]", "{}"), "\"data_offsets\" is {}");
  expect_read_error(path, edit(good, R"(,"data_offsets":[0,8])", ""), "tensor 'a': no \"data_offsets\"");
  expect_read_error(path, edit(good, "[0,8]", "[8,0]"), "tensor 'a': data_offsets [8,0] end before they begin");
  expect_read_error(path, edit(good, "[8,20]", "[4,16]"), "tensors 'a' [0, 8) and 'b' [4, 16) overlap");
  expect_read_error(path, edit(good, "[20,24]", "[21,25]"),
                    "gap of 1 unused bytes between tensor 'b' [8, 20) and tensor 'c' [21, 25)");
  expect_read_error(path, edit(good, "[0,8]", "[1,9]"), "tensor data starts at byte 1 (tensor 'a'), not 0");
  expect_read_error(path, edit(good, R"("shape":[4],"data_offsets":[20,24])", R"("shape":[1200],"data_offsets":[20,1220])"),
                    "truncated: header says 1220 bytes of tensor data, file holds 24; the file was cut short (interrupted copy?)");
  expect_read_error(path, edit(good, "[20,24]", "[20,18446744073709551615]"), "hold 18446744073709551595");
  expect_read_error(path, edit(good, R"("shape":[4],"data_offsets":[20,24])", R"("shape":[2],"data_offsets":[20,22])"),
                    "2 bytes after the last tensor that the header does not describe");
  // Bytes appended to a good file, or cut from its end.
  expect_read_error(path, good + "xyz", "3 bytes after the last tensor that the header does not describe (header covers 24 bytes");
  expect_read_error(path, good.substr(0, good.size() - 1),
                    "truncated: header says 24 bytes of tensor data, file holds 23; the file was cut short (interrupted copy?)");
}

TEST_F(SafetensorsTest, CorruptionMetadata) {
  const std::string path = at("model.safetensors");
  const std::string good = good_file(path);
  expect_read_error(path, edit(good, R"("k":"v")", R"("k":1)"), "metadata 'k' is a JSON number (1); metadata values must be strings");
  expect_read_error(path, edit(good, R"("k":"v")", R"("k":{"x":"y"})"), "metadata 'k' is a JSON object");
  expect_read_error(path, edit(good, R"("k":"v")", R"("k":null)"), "metadata 'k' is a JSON null");
  expect_read_error(path, edit(good, R"({"k":"v"})", R"(["k","v"])"), "\"__metadata__\" is a JSON array, expected an object of strings");
  expect_read_error(path, edit(good, R"({"k":"v"})", "null"), "\"__metadata__\" is a JSON null, expected an object");
  expect_read_error(path, edit(good, R"({"k":"v"})", R"("k=v")"), "\"__metadata__\" is a JSON string");
}

TEST_F(SafetensorsTest, OpenErrors) {
  auto message = [](const std::string& path) {
    try {
      read(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(at("nope.safetensors")), at("nope.safetensors") + ": cannot open: No such file or directory");
  EXPECT_EQ(message(dir_.string()), dir_.string() + ": is a folder, not a safetensors file");
  EXPECT_EQ(message("/dev/null"), "/dev/null: not a regular file (safetensors files are read by size and offset)");
}

// Every proper prefix of a file is damaged; each must give Error, never a
// crash or an allocation the size of a garbage number.
TEST_F(SafetensorsTest, TruncatedAtEveryByte) {
  const std::string path = at("t.safetensors");
  const std::string good = good_file(path);
  ASSERT_NO_THROW(read(path));
  for (size_t k = 0; k < good.size(); ++k) {
    spit(path, good.substr(0, k));
    EXPECT_THROW(read(path), Error) << "prefix of " << k << " bytes of " << good.size();
  }
}

// Every byte replaced by values that matter to the parser: the read either
// succeeds or throws Error; anything else (another exception, a crash, a
// sanitizer report) fails.
TEST_F(SafetensorsTest, DamagedAtEveryByte) {
  const std::string path = at("d.safetensors");
  const std::string good = good_file(path);
  const unsigned char values[] = {0x00, 0x01, 0x20, '"', ',', '-', '0', '9', '[', ']', '{', '}', 0x7f, 0x80, 0xff};
  size_t accepted = 0, rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char v : values) {
      if (static_cast<unsigned char>(good[i]) == v) continue;
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      spit(path, bad);
      try {
        File f = read(path);
        ++accepted;
        // Whatever was accepted is self-consistent.
        for (const auto& [name, t] : f.tensors) ASSERT_EQ(t.bytes.size(), t.elements() * dtype_size(t.dtype)) << name;
      } catch (const Error&) {
        ++rejected;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "byte " << i << " = " << int(v) << ": " << e.what();
      }
    }
  }
  // Damage to tensor bytes and to some header spaces is undetectable; most
  // header damage is caught.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, accepted);
}

// ---- writing: bad input, atomicity --------------------------------------------------------

TEST_F(SafetensorsTest, WriteRejectsBadInputAndCreatesNothing) {
  const std::string path = at("w.safetensors");
  float x[2] = {1, 2};
  auto message = [&](std::vector<TensorRef> t, std::map<std::string, std::string> meta = {}) {
    try {
      write(path, t, meta);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"a", DType::F32, {2}, x}, {"a", DType::F32, {1}, x}}),
            path + ": cannot write: two tensors are named 'a'; names must be unique");
  EXPECT_EQ(message({{"__metadata__", DType::F32, {2}, x}}),
            path + ": cannot write: a tensor may not be named \"__metadata__\" (the format reserves it); rename it");
  EXPECT_EQ(message({{"a", DType::F32, {2, -1}, x}}),
            path + ": cannot write: tensor 'a' has shape [2, -1]; dimensions must be >= 0");
  EXPECT_EQ(message({{"a", DType::F32, {2}, nullptr}}),
            path + ": cannot write: tensor 'a' has 8 bytes but a null data pointer");
  EXPECT_EQ(message({{"a", DType::U8, {1 << 30, 1 << 30, 1 << 30}, x}}),
            path + ": cannot write: tensor 'a' has shape [1073741824, 1073741824, 1073741824], too large to address");
  EXPECT_EQ(message({{"bad\xff", DType::F32, {2}, x}}),
            path + ": cannot write: tensor name 'bad\xff' is not valid UTF-8, which JSON (and so the header) requires");
  EXPECT_NE(message({{"a", DType::F32, {2}, x}}, {{"k", "\xc3"}}).find("the value of metadata 'k' is not valid UTF-8"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SafetensorsTest, WriteIntoMissingFolder) {
  const std::string path = at("no/such/folder/m.safetensors");
  float x = 1;
  std::vector<TensorRef> t = {{"x", DType::F32, {}, &x}};
  try {
    write(path, t, {});
    ADD_FAILURE() << "wrote into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot create the temporary file " + path + ".tmp." +
                                         std::to_string(::getpid()) + ": No such file or directory");
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SafetensorsTest, OverwriteReplacesAndLeavesNoTemporary) {
  const std::string path = at("m.safetensors");
  good_file(path);
  std::vector<double> y = {1, 2, 3};
  std::vector<TensorRef> t = {{"y", DType::F64, {3}, y.data()}};
  write(path, t, {{"step", "2"}});
  File f = read(path);
  EXPECT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.get<double>("y"), y);
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"step", "2"}}));
  EXPECT_TRUE(temporaries(dir_).empty());
  // A relative path (no folder part) syncs "." and works too.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  write("rel.safetensors", t, {});
  fs::current_path(cwd);
  EXPECT_EQ(read(at("rel.safetensors")).get<double>("y"), y);
  EXPECT_TRUE(temporaries(dir_).empty());
}

// The write fails midway for real: the process file-size limit (what a full
// disk or quota does) stops the temporary file at 4 KiB, write() returns
// EFBIG. The old file must be intact and the temporary gone.
TEST_F(SafetensorsTest, WriteFailingMidwayKeepsOldFile) {
  const std::string path = at("m.safetensors");
  const std::string old = good_file(path);
  std::vector<float> big(100'000, 1.0f);
  std::vector<TensorRef> t = {{"big", DType::F32, {100'000}, big.data()}};

  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  // Without this the kernel kills the process with SIGXFSZ instead of
  // failing the write.
  auto saved_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    write(path, t, {});
  } catch (const Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, saved_handler);

  EXPECT_EQ(message, path + ": cannot write the temporary file " + path + ".tmp." + std::to_string(::getpid()) +
                         ": File too large; the old file (if any) is unchanged");
  EXPECT_EQ(slurp(path), old);
  EXPECT_TRUE(temporaries(dir_).empty()) << temporaries(dir_).front();
  EXPECT_EQ(read(path).get<float>("a"), kA);
}

// The temporary file is complete but rename() refuses (PATH is a non-empty
// folder): the temporary must still be removed.
TEST_F(SafetensorsTest, WriteFailingAtRenameRemovesTemporary) {
  const std::string path = at("taken");
  fs::create_directory(path);
  spit(path + "/keep", "x");
  float x = 1;
  std::vector<TensorRef> t = {{"x", DType::F32, {}, &x}};
  try {
    write(path, t, {});
    ADD_FAILURE() << "renamed over a folder";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": cannot rename " + path + ".tmp.", 0), 0u) << msg;
    EXPECT_NE(msg.find("Is a directory"), std::string::npos) << msg;
  }
  EXPECT_TRUE(temporaries(dir_).empty());
  EXPECT_EQ(slurp(path + "/keep"), "x");
}

// A read-only folder refuses the temporary file. Root ignores permissions,
// so this only runs as an ordinary user.
TEST_F(SafetensorsTest, WriteIntoReadOnlyFolderKeepsOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  const std::string path = at("m.safetensors");
  const std::string old = good_file(path);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  float x = 1;
  std::vector<TensorRef> t = {{"x", DType::F32, {}, &x}};
  try {
    write(path, t, {});
    ADD_FAILURE() << "wrote into a read-only folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(": Permission denied"), std::string::npos) << e.what();
  }
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(slurp(path), old);
  EXPECT_TRUE(temporaries(dir_).empty());
}

}  // namespace
}  // namespace actlab::safetensors
