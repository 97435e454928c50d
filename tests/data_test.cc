// Datasets: IDX files written here (raw and gzip) read back exactly; every
// malformed file gives an Error naming the file and the problem, without
// allocating what a lying header claims (allocations are counted below);
// the installed Fashion-MNIST against checksums taken with Python's gzip and
// numpy; CSV; synthetic sets against their defining equations; the
// validation split; scalers against the formulas in double.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <new>
#include <numbers>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actlab/data.h"
#include "actlab/rng.h"

// ---- allocation accounting ------------------------------------------------------
// Replacing the global operator new/delete (the library's std::vector and
// new[] resolve to these) lets the tests state memory bounds: the largest
// single request and the peak of live bytes. A 16-byte prefix keeps the size
// and max_align_t alignment. Every unaligned form is replaced: under ASan a
// form left out would resolve to the sanitizer's own, and its memory would
// reach our delete without the prefix.
namespace {
std::atomic<size_t> g_live{0}, g_peak{0}, g_largest{0};
constexpr size_t kPrefix = 16;

void* counted_new(size_t n) {
  size_t largest = g_largest.load();
  while (n > largest && !g_largest.compare_exchange_weak(largest, n)) {
  }
  void* p = std::malloc(n + kPrefix);
  if (!p) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  const size_t live = g_live.fetch_add(n) + n;
  size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return static_cast<char*>(p) + kPrefix;
}

void counted_delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - kPrefix;
  size_t n;
  std::memcpy(&n, base, sizeof n);
  g_live.fetch_sub(n);
  std::free(base);
}
}  // namespace

void* operator new(size_t n) { return counted_new(n); }
void* operator new[](size_t n) { return counted_new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, size_t) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }

namespace actlab::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// ---- fixtures ---------------------------------------------------------------------

class TempDir {
 public:
  explicit TempDir(const std::string& tag = "") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("actlab_data_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name() + tag);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

Bytes idx_header(uint32_t magic, std::initializer_list<uint32_t> dims) {
  Bytes b;
  put_be32(b, magic);
  for (uint32_t d : dims) put_be32(b, d);
  return b;
}

// n images of r x c; pixel k of image i is (7 i + 3 k) mod 256, so every
// image differs and every value 0..255 occurs in larger sets.
Bytes images_file(uint32_t n, uint32_t r, uint32_t c) {
  Bytes b = idx_header(0x803, {n, r, c});
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t k = 0; k < r * c; ++k) b.push_back(static_cast<uint8_t>((7 * i + 3 * k) % 256));
  return b;
}

Bytes labels_file(const std::vector<uint8_t>& labels) {
  Bytes b = idx_header(0x801, {static_cast<uint32_t>(labels.size())});
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// A gzip member (deflate with the gzip wrapper: windowBits 15 + 16).
Bytes gzip(const Bytes& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, in.size()) + 64);
  z.next_in = const_cast<Bytes::value_type*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  ASSERT_TRUE(f.good()) << path;
}

void write_text(const std::string& path, const std::string& s) {
  std::ofstream f(path, std::ios::binary);
  f << s;
  ASSERT_TRUE(f.good()) << path;
}

// Runs fn, which must throw actlab::Error whose message holds every needle.
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string> needles) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (std::getenv("ACTLAB_SHOW_ERRORS")) std::printf("  error: %s\n", msg.c_str());  // to review the wording
    for (const std::string& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "missing '" << n << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-Error: " << e.what();
    return;
  }
  ADD_FAILURE() << "did not throw; expected an Error with '" << *needles.begin() << "'";
}

// ---- IDX: valid files --------------------------------------------------------------

void expect_pattern(const Dataset& d, uint32_t n, uint32_t r, uint32_t c) {
  ASSERT_EQ(d.rows, n);
  ASSERT_EQ(d.features, size_t{r} * c);
  ASSERT_EQ(d.x.size(), d.rows * d.features);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t k = 0; k < r * c; ++k) ASSERT_EQ(d.row(i)[k], static_cast<float>((7 * i + 3 * k) % 256)) << i << "," << k;
}

TEST(Idx, RawAndGzipReadBackExactly) {
  TempDir dir;
  const Bytes images = images_file(3, 2, 5);
  const Bytes labels = labels_file({0, 3, 1});
  write_file(dir / "img", images);
  write_file(dir / "lab", labels);
  write_file(dir / "img.gz", gzip(images));
  write_file(dir / "lab.gz", gzip(labels));
  // The content decides, not the name.
  write_file(dir / "gz-named-raw", gzip(images));
  write_file(dir / "raw-named.gz", images);
  for (auto [im, lb] : std::vector<std::pair<std::string, std::string>>{
           {"img", "lab"}, {"img.gz", "lab.gz"}, {"img", "lab.gz"}, {"gz-named-raw", "lab"}}) {
    SCOPED_TRACE(im + " + " + lb);
    const Dataset d = read_idx(dir / im, dir / lb);
    expect_pattern(d, 3, 2, 5);
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 3, 1}));
    EXPECT_EQ(d.classes, 4u);  // max label + 1
    EXPECT_TRUE(d.classification());
    EXPECT_TRUE(d.targets.empty());
    EXPECT_EQ(d.name, im == "img.gz" ? "img" : im);
  }
  const Dataset d = read_idx(dir / "raw-named.gz", dir / "lab");
  expect_pattern(d, 3, 2, 5);
}

TEST(Idx, LargerGzipAndMultiMemberStreams) {
  TempDir dir;
  const Bytes images = images_file(600, 28, 28);  // 470 KB: several inflate refills
  std::vector<uint8_t> lab(600);
  for (size_t i = 0; i < lab.size(); ++i) lab[i] = static_cast<uint8_t>(i % 10);
  write_file(dir / "img.gz", gzip(images));
  write_file(dir / "lab.gz", gzip(labels_file(lab)));
  Dataset d = read_idx(dir / "img.gz", dir / "lab.gz");
  expect_pattern(d, 600, 28, 28);
  EXPECT_EQ(d.classes, 10u);
  for (size_t i = 0; i < 600; ++i) ASSERT_EQ(d.labels[i], static_cast<int32_t>(i % 10));

  // `cat a.gz b.gz` is one valid gzip file: the members concatenate.
  Bytes first(images.begin(), images.begin() + 1000), rest(images.begin() + 1000, images.end());
  Bytes multi = gzip(first);
  const Bytes second = gzip(rest);
  multi.insert(multi.end(), second.begin(), second.end());
  write_file(dir / "multi.gz", multi);
  d = read_idx(dir / "multi.gz", dir / "lab.gz");
  expect_pattern(d, 600, 28, 28);
}

TEST(Idx, LoadDirFindsRawOrGzipAndNamesClasses) {
  TempDir dir;
  fs::create_directories(dir.path() / "Fashion-tiny");
  fs::create_directories(dir.path() / "digits");
  const std::string fashion = dir / "Fashion-tiny", digits = dir / "digits";
  for (const std::string& d : {fashion, digits}) {
    write_file(d + "/train-images-idx3-ubyte.gz", gzip(images_file(4, 3, 3)));
    write_file(d + "/train-labels-idx1-ubyte", labels_file({0, 1, 2, 9}));
    write_file(d + "/t10k-images-idx3-ubyte", images_file(2, 3, 3));
    write_file(d + "/t10k-labels-idx1-ubyte.gz", gzip(labels_file({3, 1})));
  }
  Splits s = load_idx_dir(fashion);
  expect_pattern(s.train, 4, 3, 3);
  expect_pattern(s.test, 2, 3, 3);
  EXPECT_TRUE(s.validation.x.empty());
  EXPECT_EQ(s.validation.rows, 0u);
  // Ten classes for both splits, although the test labels stop at 3.
  EXPECT_EQ(s.train.classes, 10u);
  EXPECT_EQ(s.test.classes, 10u);
  ASSERT_EQ(s.train.class_names.size(), 10u);
  EXPECT_EQ(s.train.class_names[0], "T-shirt/top");
  EXPECT_EQ(s.train.class_names[9], "Ankle boot");
  EXPECT_EQ(s.test.class_names, s.train.class_names);
  EXPECT_EQ(s.train.name, "fashion-mnist-train");

  s = load_idx_dir(digits);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(s.test.name, "mnist-test");

  // Missing files are listed by name, with and without .gz.
  fs::remove(digits + "/t10k-images-idx3-ubyte");
  fs::remove(digits + "/train-labels-idx1-ubyte");
  expect_error([&] { load_idx_dir(digits); },
               {digits, "missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]",
                "install dataset-fashion-mnist or pass --data DIR with the four IDX files"});
  expect_error([&] { load_idx_dir(dir / "nowhere"); },
               {dir / "nowhere", "cannot open (No such file or directory)", "install dataset-fashion-mnist"});

  // Train and test of different image sizes do not make one dataset.
  write_file(digits + "/t10k-images-idx3-ubyte", images_file(2, 4, 4));
  write_file(digits + "/train-labels-idx1-ubyte", labels_file({0, 1, 2, 9}));
  expect_error([&] { load_idx_dir(digits); }, {"t10k-images-idx3-ubyte", "16 pixels", "have 9"});
}

// ---- IDX: malformed files ----------------------------------------------------------

TEST(IdxErrors, MissingFileOrFolder) {
  TempDir dir;
  write_file(dir / "lab", labels_file({1}));
  expect_error([&] { read_idx(dir / "absent", dir / "lab"); },
               {dir / "absent", "cannot open (No such file or directory)",
                "install dataset-fashion-mnist or pass --data DIR with the four IDX files"});
  expect_error([&] { read_idx(dir.path().string(), dir / "lab"); }, {dir.path().string(), "not a regular file"});
}

TEST(IdxErrors, WrongMagicSaysWhatWasFound) {
  TempDir dir;
  write_file(dir / "img", images_file(2, 2, 2));
  write_file(dir / "lab", labels_file({0, 1}));
  write_file(dir / "lab.gz", gzip(labels_file({0, 1})));
  expect_error([&] { read_idx(dir / "lab", dir / "img"); },
               {dir / "lab", "magic 0x00000801, expected 0x00000803", "is this a labels file?"});
  expect_error([&] { read_idx(dir / "lab.gz", dir / "lab"); }, {dir / "lab.gz", "is this a labels file?"});
  expect_error([&] { read_idx(dir / "img", dir / "img"); },
               {dir / "img", "magic 0x00000803, expected 0x00000801", "is this an images file?"});
  Bytes floats = idx_header(0x00000D03, {1, 1, 1});
  floats.resize(floats.size() + 4, 0);
  write_file(dir / "float", floats);
  expect_error([&] { read_idx(dir / "float", dir / "lab"); }, {dir / "float", "0x00000D03", "holds float32 with 3 dimensions"});
  write_file(dir / "text", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n', 0, 0, 0, 0});
  expect_error([&] { read_idx(dir / "text", dir / "lab"); }, {dir / "text", "magic 0x68656C6C", "not an IDX file"});
}

TEST(IdxErrors, TruncatedHeaderAndData) {
  TempDir dir;
  const Bytes images = images_file(3, 2, 2), labels = labels_file({0, 1, 2});
  write_file(dir / "lab", labels);
  write_file(dir / "empty", {});
  expect_error([&] { read_idx(dir / "empty", dir / "lab"); }, {dir / "empty", "truncated: 0 bytes", "4-byte IDX magic"});
  write_file(dir / "short-head", Bytes(images.begin(), images.begin() + 10));
  expect_error([&] { read_idx(dir / "short-head", dir / "lab"); },
               {dir / "short-head", "truncated: the 16-byte IDX header ends after 10 bytes"});
  write_file(dir / "short-head.gz", gzip(Bytes(images.begin(), images.begin() + 10)));
  expect_error([&] { read_idx(dir / "short-head.gz", dir / "lab"); },
               {dir / "short-head.gz", "truncated: the 16-byte IDX header ends after 10 bytes"});

  const Bytes short_data(images.begin(), images.end() - 1);
  write_file(dir / "short", short_data);
  write_file(dir / "short.gz", gzip(short_data));
  for (const char* name : {"short", "short.gz"}) {
    expect_error([&] { read_idx(dir / name, dir / "lab"); },
                 {dir / name, "truncated: header promises 3 images of 2x2 (12 bytes), file holds 11"});
  }
  const Bytes short_labels(labels.begin(), labels.end() - 2);
  write_file(dir / "img", images);
  write_file(dir / "short-lab.gz", gzip(short_labels));
  expect_error([&] { read_idx(dir / "img", dir / "short-lab.gz"); },
               {dir / "short-lab.gz", "truncated: header promises 3 labels (3 bytes), file holds 1"});
}

TEST(IdxErrors, CutOffGzipStream) {
  TempDir dir;
  // Pseudo-random pixels barely compress, so a cut at 60% of the gzip file
  // falls inside the pixel data.
  Bytes images = idx_header(0x803, {50, 28, 28});
  Rng rng(7);
  for (int i = 0; i < 50 * 784; ++i) images.push_back(static_cast<uint8_t>(rng.below(256)));
  const Bytes gz = gzip(images);
  write_file(dir / "cut.gz", Bytes(gz.begin(), gz.begin() + static_cast<long>(gz.size() * 6 / 10)));
  std::vector<uint8_t> lab(50, 1);
  write_file(dir / "lab", labels_file(lab));
  expect_error([&] { read_idx(dir / "cut.gz", dir / "lab"); },
               {dir / "cut.gz", "truncated: header promises 50 images of 28x28 (39200 bytes), file holds ",
                "the gzip stream is cut off"});
  // Cut inside the 8-byte trailer: all data arrived, the CRC did not.
  write_file(dir / "no-trailer.gz", Bytes(gz.begin(), gz.end() - 3));
  expect_error([&] { read_idx(dir / "no-trailer.gz", dir / "lab"); },
               {dir / "no-trailer.gz", "truncated: the gzip stream is cut off after all 39200 bytes, before its CRC"});
}

TEST(IdxErrors, TrailingBytes) {
  TempDir dir;
  Bytes images = images_file(3, 2, 2);
  images.push_back(0);
  write_file(dir / "img", images);
  write_file(dir / "img.gz", gzip(images));
  write_file(dir / "lab", labels_file({0, 1, 2}));
  expect_error([&] { read_idx(dir / "img", dir / "lab"); },
               {dir / "img", "trailing bytes: header promises 3 images of 2x2 (12 bytes), file holds 13"});
  expect_error([&] { read_idx(dir / "img.gz", dir / "lab"); },
               {dir / "img.gz", "trailing bytes: header promises 3 images of 2x2 (12 bytes), file holds more"});
  // Garbage after a complete gzip member.
  Bytes gz = gzip(images_file(3, 2, 2));
  gz.insert(gz.end(), {'j', 'u', 'n', 'k'});
  write_file(dir / "junk.gz", gz);
  expect_error([&] { read_idx(dir / "junk.gz", dir / "lab"); }, {dir / "junk.gz", "trailing bytes after the gzip stream"});
}

TEST(IdxErrors, CountsDisagreeAndZeroDimensions) {
  TempDir dir;
  write_file(dir / "img", images_file(5, 2, 2));
  write_file(dir / "lab", labels_file({0, 1, 2, 3}));
  expect_error([&] { read_idx(dir / "img", dir / "lab"); },
               {dir / "img", "5 images, but " + (dir / "lab") + " holds 4 labels", "belongs to these images"});
  write_file(dir / "zero-n", idx_header(0x803, {0, 28, 28}));
  expect_error([&] { read_idx(dir / "zero-n", dir / "lab"); }, {dir / "zero-n", "zero dimension in the header (0 images of 28x28)"});
  Bytes zc = idx_header(0x803, {4, 28, 0});
  write_file(dir / "zero-c", zc);
  expect_error([&] { read_idx(dir / "zero-c", dir / "lab"); }, {dir / "zero-c", "zero dimension", "4 images of 28x0"});
  write_file(dir / "zero-lab", idx_header(0x801, {0}));
  expect_error([&] { read_idx(dir / "img", dir / "zero-lab"); }, {dir / "zero-lab", "zero dimension in the header (0 labels)"});
}

TEST(IdxErrors, CorruptedGzipStream) {
  TempDir dir;
  const Bytes images = images_file(40, 8, 8);
  write_file(dir / "lab", labels_file(std::vector<uint8_t>(40, 0)));
  const Bytes gz = gzip(images);
  // The trailer is CRC-32 then the length mod 2^32, little-endian.
  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  write_file(dir / "crc.gz", bad_crc);
  expect_error([&] { read_idx(dir / "crc.gz", dir / "lab"); },
               {dir / "crc.gz", "corrupted gzip stream (incorrect data check)", "re-download"});
  Bytes bad_len = gz;
  bad_len[bad_len.size() - 4] ^= 0x01;
  write_file(dir / "len.gz", bad_len);
  expect_error([&] { read_idx(dir / "len.gz", dir / "lab"); }, {dir / "len.gz", "corrupted gzip stream (incorrect length check)"});
  Bytes bad_method = gz;
  bad_method[2] = 7;  // CM must be 8 (deflate)
  write_file(dir / "method.gz", bad_method);
  expect_error([&] { read_idx(dir / "method.gz", dir / "lab"); }, {dir / "method.gz", "corrupted gzip stream (unknown compression method)"});
  // Damage inside the deflate data: whatever inflate or the CRC notices
  // first, it is an Error about this file, never wrong pixels.
  for (size_t at = 12; at < gz.size() - 8; at += 7) {
    Bytes bad = gz;
    bad[at] ^= 0xA5;
    write_file(dir / "flip.gz", bad);
    try {
      read_idx(dir / "flip.gz", dir / "lab");
      ADD_FAILURE() << "byte " << at << " flipped, no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir / "flip.gz"), std::string::npos) << e.what();
    }
  }
}

TEST(IdxErrors, LyingHeaderDoesNotAllocate) {
  TempDir dir;
  // 2^31 images of 1x1 (exactly the limit) in a 100-byte file.
  Bytes huge = idx_header(0x803, {0x80000000u, 1, 1});
  huge.resize(100, 9);
  write_file(dir / "huge", huge);
  write_file(dir / "huge.gz", gzip(huge));
  Bytes huge_lab = idx_header(0x801, {0x80000000u});
  huge_lab.resize(100, 1);
  write_file(dir / "huge-lab", huge_lab);
  write_file(dir / "huge-lab.gz", gzip(huge_lab));
  for (const char* name : {"huge", "huge.gz"}) {
    g_largest = 0;
    expect_error([&] { read_idx(dir / name, dir / "huge-lab"); },
                 {dir / name, "truncated: header promises 2147483648 images of 1x1 (2147483648 bytes), file holds 84"});
    EXPECT_LT(g_largest.load(), size_t{1} << 20) << name;
  }
  // Labels go through the same reader, but only after the images, which
  // would have to be a real 2 GB fixture to get there; a labels file lying
  // next to small images is a count mismatch, refused from the headers.
  write_file(dir / "one", images_file(1, 1, 1));
  for (const char* lab : {"huge-lab", "huge-lab.gz"}) {
    g_largest = 0;
    expect_error([&] { read_idx(dir / "one", dir / lab); }, {dir / "one", "1 images, but", "holds 2147483648 labels"});
    EXPECT_LT(g_largest.load(), size_t{1} << 20) << lab;
  }
  write_file(dir / "lab", labels_file({1}));
  // Above 2^31 elements: refused from the header alone, whatever the file.
  Bytes absurd = idx_header(0x803, {0x80000000u, 28, 28});
  absurd.resize(100, 0);
  write_file(dir / "absurd", absurd);
  write_file(dir / "absurd.gz", gzip(absurd));
  for (const char* name : {"absurd", "absurd.gz"}) {
    g_largest = 0;
    expect_error([&] { read_idx(dir / name, dir / "lab"); },
                 {dir / name, "absurd size: header promises 2147483648 images of 28x28, more than 2^31 elements"});
    EXPECT_LT(g_largest.load(), size_t{1} << 20);
  }
  // 4 x 2^32-1 x 2^32-1: the product must not wrap around to something small.
  write_file(dir / "wrap", idx_header(0x803, {4, 0xFFFFFFFFu, 0xFFFFFFFFu}));
  expect_error([&] { read_idx(dir / "wrap", dir / "lab"); }, {dir / "wrap", "absurd size"});
}

// ---- the installed Fashion-MNIST ---------------------------------------------------

TEST(FashionMnist, LoadsCompletelyAndExactly) {
  if (!fs::is_directory(kFashionMnistDir)) GTEST_SKIP() << kFashionMnistDir << " absent (apt install dataset-fashion-mnist)";
  const size_t live_before = g_live.load();
  g_peak = live_before;
  const auto t0 = std::chrono::steady_clock::now();
  const Splits s = load_idx_dir(kFashionMnistDir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t peak = g_peak.load() - live_before;
  std::printf("load_idx_dir(%s): %.3f s, peak %.1f MB\n", kFashionMnistDir, seconds, peak / 1e6);
  RecordProperty("load_seconds", std::to_string(seconds));

  // Train: 60000 x 784 floats (188.16 MB) plus its uint8 pixels (47.04 MB)
  // at the peak; the test split loads after, into less.
  const size_t floats = 60000 * 784 * sizeof(float), bytes = 60000 * 784;
  EXPECT_LE(peak, floats + bytes + (size_t{2} << 20));

  struct Expect {
    const Dataset& d;
    size_t rows;
    double pixel_sum, label_weighted_sum, first_row_sum, last_row_sum;
    std::vector<int32_t> first_labels;
  };
  // Reference figures: Python's gzip + numpy on the same files.
  const Expect cases[] = {
      {s.train, 60000, 3431114169.0, 8087216427.0, 76247, 16684, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
      {s.test, 10000, 573469082.0, 225732341.0, 33456, 24390, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}},
  };
  for (const Expect& e : cases) {
    SCOPED_TRACE(e.d.name);
    ASSERT_EQ(e.d.rows, e.rows);
    ASSERT_EQ(e.d.features, 784u);
    ASSERT_EQ(e.d.x.size(), e.rows * 784);
    ASSERT_EQ(e.d.labels.size(), e.rows);
    EXPECT_EQ(e.d.classes, 10u);
    ASSERT_EQ(e.d.class_names.size(), 10u);
    EXPECT_EQ(e.d.class_names[0], "T-shirt/top");
    EXPECT_EQ(e.d.class_names[6], "Shirt");
    EXPECT_EQ(e.d.class_names[9], "Ankle boot");
    std::vector<size_t> histogram(10, 0);
    double label_sum = 0;
    for (size_t i = 0; i < e.rows; ++i) {
      ASSERT_GE(e.d.labels[i], 0);
      ASSERT_LT(e.d.labels[i], 10);
      ++histogram[static_cast<size_t>(e.d.labels[i])];
      label_sum += static_cast<double>(e.d.labels[i]) * static_cast<double>(i);
    }
    EXPECT_EQ(histogram, std::vector<size_t>(10, e.rows / 10));
    EXPECT_EQ(label_sum, e.label_weighted_sum);
    EXPECT_EQ(std::vector<int32_t>(e.d.labels.begin(), e.d.labels.begin() + 10), e.first_labels);
    const auto [lo, hi] = std::minmax_element(e.d.x.begin(), e.d.x.end());
    EXPECT_EQ(*lo, 0.0f);
    EXPECT_EQ(*hi, 255.0f);
    double sum = 0, first = 0, last = 0;
    bool integral = true;
    for (size_t i = 0; i < e.d.x.size(); ++i) {
      sum += e.d.x[i];
      integral = integral && e.d.x[i] == std::floor(e.d.x[i]);
    }
    for (size_t k = 0; k < 784; ++k) {
      first += e.d.row(0)[k];
      last += e.d.row(e.rows - 1)[k];
    }
    EXPECT_TRUE(integral);
    EXPECT_EQ(sum, e.pixel_sum);
    EXPECT_EQ(first, e.first_row_sum);
    EXPECT_EQ(last, e.last_row_sum);
  }
}

// ---- CSV -----------------------------------------------------------------------------

TEST(Csv, HeaderAndLabelByName) {
  TempDir dir;
  write_text(dir / "iris.csv", "a,b,species\n1,2.5,setosa\n3,-4e1,virginica\n+5,6,setosa\n");
  const Dataset d = read_csv(dir / "iris.csv", "species", false);
  EXPECT_EQ(d.name, "iris");
  EXPECT_EQ(d.rows, 3u);
  EXPECT_EQ(d.features, 2u);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2.5f, 3, -40, 5, 6}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.classes, 2u);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_TRUE(d.targets.empty());
  EXPECT_EQ(d.outputs, 0u);
}

TEST(Csv, LabelByIndexWithoutHeader) {
  TempDir dir;
  write_text(dir / "n.csv", "1,2,1\n3,4,0\n5,6,1\n");
  for (const char* spec : {"2", "-1"}) {
    const Dataset d = read_csv(dir / "n.csv", spec, false);
    EXPECT_EQ(d.rows, 3u);
    EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0, 1}));
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1"}));
    EXPECT_TRUE(d.feature_names.empty());
  }
  // Label first ("0"), and "-3" is the same column.
  for (const char* spec : {"0", "-3"}) {
    const Dataset d = read_csv(dir / "n.csv", spec, false);
    EXPECT_EQ(d.x, (std::vector<float>{2, 1, 4, 0, 6, 1}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"1", "3", "5"}));
  }
}

TEST(Csv, IntegerLabelsSortByValueStringsAsText) {
  TempDir dir;
  write_text(dir / "int.csv", "x,y\n0,10\n1,9\n2,2\n3,9.0\n4,-1\n");
  Dataset d = read_csv(dir / "int.csv", "y", false);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"-1", "2", "9", "10"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{3, 2, 1, 2, 0}));  // "9" and "9.0" are one class
  // One non-integral label: all are text, sorted as strings.
  write_text(dir / "mixed.csv", "0,10\n1,9\n2,b\n");
  d = read_csv(dir / "mixed.csv", "1", false);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"10", "9", "b"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1, 2}));
  // String labels without a header: the first line is data.
  write_text(dir / "s.csv", "1,2,dog\n3,4,cat\n");
  d = read_csv(dir / "s.csv", "-1", false);
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0}));
  EXPECT_TRUE(d.feature_names.empty());
}

TEST(Csv, NumericLookingHeaderOverNumericLabels) {
  TempDir dir;
  write_text(dir / "px.csv", "0,1,label\n5,6,3\n7,8,1\n");
  const Dataset d = read_csv(dir / "px.csv", "-1", false);
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.x, (std::vector<float>{5, 6, 7, 8}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0}));
}

TEST(Csv, Regression) {
  TempDir dir;
  write_text(dir / "r.csv", "x1,x2,price\n1,2,10.5\n3,4,-2\n");
  for (const char* spec : {"price", "2", "-1"}) {
    const Dataset d = read_csv(dir / "r.csv", spec, true);
    EXPECT_FALSE(d.classification());
    EXPECT_EQ(d.classes, 0u);
    EXPECT_TRUE(d.labels.empty());
    EXPECT_EQ(d.outputs, 1u);
    EXPECT_EQ(d.targets, (std::vector<float>{10.5f, -2}));
    EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4}));
    EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x2"}));
  }
  // Target in the middle.
  const Dataset d = read_csv(dir / "r.csv", "x2", true);
  EXPECT_EQ(d.targets, (std::vector<float>{2, 4}));
  EXPECT_EQ(d.x, (std::vector<float>{1, 10.5f, 3, -2}));
}

TEST(Csv, WhitespaceCrlfQuotesBomBlankLines) {
  TempDir dir;
  write_text(dir / "w.csv", "\xEF\xBB\xBF \"a\" ,\t\"b\", label \r\n\r\n 1 , 2 ,x \r\n  \n3,4,\"y\"\r\n");
  const Dataset d = read_csv(dir / "w.csv", "label", false);
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"x", "y"}));
}

TEST(CsvErrors, EachNamesFileLineAndColumn) {
  TempDir dir;
  const std::string p = dir / "bad.csv";
  auto check = [&](const std::string& text, const std::string& spec, bool regression,
                   std::initializer_list<std::string> needles) {
    write_text(p, text);
    SCOPED_TRACE(text);
    expect_error([&] { read_csv(p, spec, regression); }, needles);
  };
  check("a,b,c\n1,2,0\n1,abc,1\n", "c", false, {p + ":3:3: column 1 ('b') is not a number: 'abc'", "features must be numbers"});
  check("1,2,0\n1,2x,1\n", "-1", false, {p + ":2:3: column 1 is not a number: '2x'"});
  check("a,b,c\n1,2,0\n1,2,0,4\n", "c", false, {p + ":3:7: 4 fields, expected 3", "same columns"});
  check("a,b,c\n1,2,0\n1,2\n", "c", false, {p + ":3:4: 2 fields, expected 3"});
  check("a,b,c\n1,nan,0\n", "c", false, {p + ":2:3: column 1 ('b') is NaN/Inf ('nan')"});
  check("a,b,c\n-inf,1,0\n", "c", false, {p + ":2:1: column 0 ('a') is NaN/Inf ('-inf')"});
  check("a,b,c\n1,1e39,0\n", "c", false, {p + ":2:3:", "out of float32 range: '1e39'"});
  check("a,b,c\n1,1e999,0\n", "c", false, {p + ":2:3:", "out of range: '1e999'"});
  check("a,b,c\n1,,0\n", "c", false, {p + ":2:3: column 1 ('b') is empty"});
  check("a,b,c\n1,2,\n", "c", false, {p + ":2:5: empty label"});
  check("a,b,c\n1,2,inf\n", "c", false, {p + ":2:5: label is NaN/Inf"});
  check("a,b,c\n1,2,0\n", "d", false, {p + ":1:1: unknown label column 'd'", "columns: a, b, c"});
  check("1,2,0\n", "c", false, {p + ":1:1: unknown label column 'c': no header line", "by index"});
  check("1,2,0\n", "3", false, {p + ":1:1: unknown label column '3': the file has 3 columns", "pass 0..2 or -3..-1"});
  check("1,2,0\n", "-4", false, {"unknown label column '-4'"});
  check("a,b,c\n", "c", false, {p + ": no data rows"});
  check("a,b,c\n\n  \n", "c", false, {p + ": no data rows"});
  check("", "c", false, {p + ": empty"});
  check("label\n1\n", "label", false, {p + ":1:1: one column only"});
  check("x,y\n1,2\n3,cheap\n", "y", true, {p + ":3:3: target column 1 ('y') is not a number: 'cheap'"});
  expect_error([&] { read_csv(dir / "absent.csv", "0", false); }, {dir / "absent.csv", "cannot open (No such file or directory)"});
  expect_error([&] { read_csv(dir.path().string(), "0", false); }, {dir.path().string() + ": is a directory"});
}

// ---- synthetic ----------------------------------------------------------------------

TEST(Synthetic, ShapesClassesAndDeterminism) {
  for (std::string_view kind : synthetic_kinds()) {
    SCOPED_TRACE(kind);
    for (size_t n : {1u, 2u, 7u, 300u}) {
      const Dataset a = synthetic(kind, n, 0.1, 42), b = synthetic(kind, n, 0.1, 42);
      ASSERT_EQ(a.rows, n);
      ASSERT_EQ(a.features, 2u);
      ASSERT_EQ(a.x.size(), 2 * n);
      ASSERT_EQ(a.labels.size(), n);
      EXPECT_EQ(a.classes, kind == "blobs" ? 3u : 2u);
      EXPECT_EQ(a.class_names.size(), a.classes);
      EXPECT_EQ(a.x, b.x);
      EXPECT_EQ(a.labels, b.labels);
      for (int32_t l : a.labels) ASSERT_TRUE(l >= 0 && static_cast<size_t>(l) < a.classes);
      for (float v : a.x) ASSERT_TRUE(std::isfinite(v));
    }
    const Dataset a = synthetic(kind, 300, 0.1, 1), b = synthetic(kind, 300, 0.1, 2);
    EXPECT_NE(a.x, b.x);
    // Class sizes as sklearn splits them: n/2 (n/3) with the remainder
    // going to the last (first) classes.
    std::vector<size_t> count(a.classes, 0);
    for (int32_t l : a.labels) ++count[static_cast<size_t>(l)];
    if (kind == "blobs") {
      EXPECT_EQ(count, (std::vector<size_t>{100, 100, 100}));
      std::vector<size_t> c7(3, 0);
      for (int32_t l : synthetic(kind, 7, 0.1, 1).labels) ++c7[static_cast<size_t>(l)];
      EXPECT_EQ(c7, (std::vector<size_t>{3, 2, 2}));
    } else {
      EXPECT_EQ(count, (std::vector<size_t>{150, 150}));
      std::vector<size_t> c7(2, 0);
      for (int32_t l : synthetic(kind, 7, 0.1, 1).labels) ++c7[static_cast<size_t>(l)];
      EXPECT_EQ(c7, (std::vector<size_t>{3, 4}));  // xor: rows 0..6 of the table
    }
  }
}

TEST(Synthetic, XorTruthTable) {
  const Dataset d = synthetic("xor", 10, 0.0, 5);
  for (size_t i = 0; i < 10; ++i) {
    const float a = d.row(i)[0], b = d.row(i)[1];
    EXPECT_EQ(a, static_cast<float>((i % 4) / 2));
    EXPECT_EQ(b, static_cast<float>(i % 2));
    EXPECT_EQ(d.labels[i], static_cast<int32_t>(a) ^ static_cast<int32_t>(b));
  }
  // With noise, the same table moved about the corners.
  const Dataset n = synthetic("xor", 4000, 0.05, 5);
  double sq = 0;
  for (size_t i = 0; i < 4000; ++i) {
    EXPECT_EQ(n.labels[i], d.labels[i % 4]);
    for (int k = 0; k < 2; ++k) sq += std::pow(n.row(i)[k] - d.row(i % 4)[k], 2);
  }
  EXPECT_NEAR(std::sqrt(sq / 8000), 0.05, 0.003);
}

TEST(Synthetic, NoiseFreeShapesMeetTheirEquations) {
  const size_t n = 501;
  const double tol = 1e-6;
  const Dataset moons = synthetic("moons", n, 0, 3);
  std::set<std::pair<float, float>> distinct;
  for (size_t i = 0; i < n; ++i) {
    const double x = moons.row(i)[0], y = moons.row(i)[1];
    distinct.insert({moons.row(i)[0], moons.row(i)[1]});
    if (moons.labels[i] == 0) {
      EXPECT_NEAR(x * x + y * y, 1.0, tol);
      EXPECT_GE(y, -tol);
    } else {
      EXPECT_NEAR((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5), 1.0, tol);
      EXPECT_LE(y, 0.5 + tol);
    }
  }
  EXPECT_EQ(distinct.size(), n);  // linspace points, none repeated
  // Both ends of each half-circle are present (linspace includes pi).
  EXPECT_TRUE(distinct.count({1.0f, 0.0f}) && distinct.count({-1.0f, static_cast<float>(std::sin(std::numbers::pi))}));
  EXPECT_TRUE(distinct.count({0.0f, 0.5f}) && distinct.count({2.0f, 0.5f}));

  const Dataset circles = synthetic("circles", n, 0, 3);
  for (size_t i = 0; i < n; ++i) {
    const double r = std::hypot(circles.row(i)[0], circles.row(i)[1]);
    EXPECT_NEAR(r, circles.labels[i] == 0 ? 1.0 : 0.5, tol);
  }

  const Dataset spirals = synthetic("spirals", n, 0, 3);
  for (size_t i = 0; i < n; ++i) {
    const double x = spirals.row(i)[0], y = spirals.row(i)[1];
    const double r = std::hypot(x, y), t = 3 * std::numbers::pi * r, a = spirals.labels[i] * std::numbers::pi;
    EXPECT_LE(r, 1.0 + tol);
    EXPECT_NEAR(x, r * std::cos(t + a), 1e-5);
    EXPECT_NEAR(y, r * std::sin(t + a), 1e-5);
  }

  const Dataset blobs = synthetic("blobs", n, 0, 3);
  for (size_t i = 0; i < n; ++i) {
    const double angle = std::numbers::pi / 2 + 2 * std::numbers::pi * blobs.labels[i] / 3;
    EXPECT_NEAR(blobs.row(i)[0], std::cos(angle), tol);
    EXPECT_NEAR(blobs.row(i)[1], std::sin(angle), tol);
  }
}

TEST(Synthetic, NoiseMovesTheSamePointsBySigma) {
  for (std::string_view kind : {"moons", "circles", "spirals", "blobs"}) {
    SCOPED_TRACE(kind);
    const Dataset clean = synthetic(kind, 20000, 0, 9), noisy = synthetic(kind, 20000, 0.2, 9);
    EXPECT_EQ(clean.labels, noisy.labels);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < clean.x.size(); ++i) {
      const double d = noisy.x[i] - clean.x[i];
      sum += d;
      sq += d * d;
    }
    const double m = static_cast<double>(clean.x.size());
    EXPECT_NEAR(sum / m, 0.0, 0.01);
    EXPECT_NEAR(std::sqrt(sq / m), 0.2, 0.005);
    // Shuffled: not laid out class by class.
    EXPECT_FALSE(std::is_sorted(clean.labels.begin(), clean.labels.end()));
  }
}

TEST(Synthetic, BadArguments) {
  expect_error([] { synthetic("swirl", 10, 0, 1); }, {"'swirl'", "unknown kind", "kinds: xor, spirals, moons, circles, blobs"});
  expect_error([] { synthetic("moons", 0, 0, 1); }, {"0 rows", "pass 1.."});
  expect_error([] { synthetic("moons", static_cast<size_t>(-1), 0, 1); }, {"rows", "pass 1.."});
  expect_error([] { synthetic("moons", 10, -0.1, 1); }, {"noise -0.1"});
  expect_error([] { synthetic("moons", 10, NAN, 1); }, {"noise nan"});
}

// ---- validation split ------------------------------------------------------------------

Dataset numbered(size_t n, bool regression) {
  Dataset d;
  d.name = "numbered";
  d.rows = n;
  d.features = 3;
  for (size_t i = 0; i < n; ++i) {
    d.x.insert(d.x.end(), {static_cast<float>(i), static_cast<float>(i) + 0.5f, -static_cast<float>(i)});
    if (regression) {
      d.targets.insert(d.targets.end(), {static_cast<float>(10 * i), static_cast<float>(20 * i)});
    } else {
      d.labels.push_back(static_cast<int32_t>(i % 3));
    }
  }
  if (regression) {
    d.outputs = 2;
  } else {
    d.classes = 3;
    d.class_names = {"a", "b", "c"};
  }
  return d;
}

// Every row still describes its own number i (features, label or targets).
void expect_rows_intact(const Dataset& d, std::multiset<size_t>& ids) {
  ASSERT_EQ(d.x.size(), d.rows * 3);
  for (size_t r = 0; r < d.rows; ++r) {
    const float* x = d.row(r);
    const size_t i = static_cast<size_t>(x[0]);
    EXPECT_EQ(x[1], static_cast<float>(i) + 0.5f);
    EXPECT_EQ(x[2], -static_cast<float>(i));
    if (d.classes) {
      EXPECT_EQ(d.labels[r], static_cast<int32_t>(i % 3));
    } else {
      EXPECT_EQ(d.targets[2 * r], static_cast<float>(10 * i));
      EXPECT_EQ(d.targets[2 * r + 1], static_cast<float>(20 * i));
    }
    ids.insert(i);
  }
}

TEST(Validation, SizesDisjointAndEveryRowKept) {
  for (bool regression : {false, true}) {
    SCOPED_TRACE(regression ? "regression" : "classification");
    Dataset train = numbered(1000, regression);
    const Dataset v = take_validation(train, 0.2, 11);
    EXPECT_EQ(v.rows, 200u);
    EXPECT_EQ(train.rows, 800u);
    EXPECT_EQ(train.labels.size(), regression ? 0u : 800u);
    EXPECT_EQ(train.targets.size(), regression ? 1600u : 0u);
    EXPECT_EQ(v.features, 3u);
    EXPECT_EQ(v.classes, train.classes);
    EXPECT_EQ(v.outputs, train.outputs);
    EXPECT_EQ(v.class_names, train.class_names);
    std::multiset<size_t> ids;
    expect_rows_intact(train, ids);
    expect_rows_intact(v, ids);
    std::multiset<size_t> all;
    for (size_t i = 0; i < 1000; ++i) all.insert(i);
    EXPECT_EQ(ids, all);  // disjoint and complete
    // The kept rows stay in their original order.
    for (size_t r = 1; r < train.rows; ++r) EXPECT_LT(train.row(r - 1)[0], train.row(r)[0]);
  }
}

TEST(Validation, SeededAndRandom) {
  Dataset a = numbered(500, false), b = numbered(500, false), c = numbered(500, false);
  const Dataset va = take_validation(a, 0.1, 3), vb = take_validation(b, 0.1, 3), vc = take_validation(c, 0.1, 4);
  EXPECT_EQ(va.x, vb.x);
  EXPECT_EQ(a.x, b.x);
  EXPECT_NE(va.x, vc.x);
  // Not simply the first or last rows.
  std::set<float> picked;
  for (size_t r = 0; r < va.rows; ++r) picked.insert(va.row(r)[0]);
  EXPECT_LT(*picked.begin(), 100.0f);
  EXPECT_GT(*picked.rbegin(), 400.0f);
  // Rounding: 0.25 of 10 rows is 3 (2.5 rounds up); fraction 0 leaves all.
  Dataset t = numbered(10, false);
  EXPECT_EQ(take_validation(t, 0.25, 1).rows, 3u);
  EXPECT_EQ(t.rows, 7u);
  const Dataset none = take_validation(t, 0.0, 1);
  EXPECT_EQ(none.rows, 0u);
  EXPECT_TRUE(none.x.empty());
  EXPECT_EQ(none.classes, 3u);
  EXPECT_EQ(t.rows, 7u);
}

TEST(Validation, BadFractionsAndDatasets) {
  Dataset t = numbered(10, false);
  for (double f : {1.0, -0.1, 1.5, static_cast<double>(NAN)}) {
    expect_error([&] { take_validation(t, f, 1); }, {"validation fraction", "0 <= fraction < 1"});
  }
  Dataset one = numbered(1, false);
  expect_error([&] { take_validation(one, 0.9, 1); }, {"takes all 1 rows of 'numbered'"});
  EXPECT_EQ(one.rows, 1u);
  Dataset broken = numbered(10, false);
  broken.labels.pop_back();
  expect_error([&] { take_validation(broken, 0.5, 1); }, {"inconsistent", "9 labels"});
}

// ---- scalers ---------------------------------------------------------------------------

Dataset table(std::vector<std::vector<float>> rows) {
  Dataset d;
  d.name = "table";
  d.rows = rows.size();
  d.features = rows.empty() ? 0 : rows[0].size();
  for (const auto& r : rows) d.x.insert(d.x.end(), r.begin(), r.end());
  return d;
}

TEST(Scaler, NoneAndUnit) {
  Dataset d = table({{0, 255, 51}, {127.5f, 1, 7}});
  const std::vector<float> before = d.x;
  Scaler::fit(d, "none").apply(d);
  EXPECT_EQ(d.x, before);
  EXPECT_EQ(Scaler().kind, "none");
  Scaler().apply(d);  // a default Scaler is the identity for any shape
  EXPECT_EQ(d.x, before);
  const Scaler s = Scaler::fit(d, "unit");
  s.apply(d);
  for (size_t i = 0; i < d.x.size(); ++i) EXPECT_FLOAT_EQ(d.x[i], before[i] / 255.0f);
}

TEST(Scaler, MinMaxFitsOnTrainAppliesToAll) {
  Dataset train = table({{1, 10, 5}, {3, 20, 5}, {2, 15, 5}});
  Dataset test = table({{0, 25, 6}});
  const Scaler s = Scaler::fit(train, "minmax");
  s.apply(train);
  s.apply(test);
  const std::vector<float> want = {0, 0, 0, 1, 1, 0, 0.5f, 0.5f, 0};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(train.x[i], want[i], 1e-6) << i;
  // Train's min and range, not the test set's: outside [0, 1] is expected.
  EXPECT_NEAR(test.x[0], -0.5, 1e-6);
  EXPECT_NEAR(test.x[1], 1.5, 1e-6);
  EXPECT_EQ(test.x[2], 0.0f);  // constant feature
}

TEST(Scaler, StandardMatchesTheFormula) {
  Rng rng(5);
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 400; ++i) {
    rows.push_back({static_cast<float>(rng.normal(3, 2)), static_cast<float>(rng.uniform(-100, 50)), 7.25f,
                    static_cast<float>(50 + rng.normal())});
  }
  Dataset d = table(rows);
  const Dataset original = d;
  const Scaler s = Scaler::fit(d, "standard");
  s.apply(d);
  for (size_t j = 0; j < 4; ++j) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < d.rows; ++i) mean += original.row(i)[j];
    mean /= 400;
    for (size_t i = 0; i < d.rows; ++i) var += std::pow(original.row(i)[j] - mean, 2);
    const double sigma = std::sqrt(var / 400);  // population sigma, as sklearn
    double m2 = 0, v2 = 0;
    for (size_t i = 0; i < d.rows; ++i) {
      const double want = sigma > 0 ? (original.row(i)[j] - mean) / sigma : 0.0;
      EXPECT_NEAR(d.row(i)[j], want, 2e-5 * (1 + std::fabs(want))) << i << "," << j;
      m2 += d.row(i)[j];
      v2 += static_cast<double>(d.row(i)[j]) * d.row(i)[j];
    }
    EXPECT_NEAR(m2 / 400, 0.0, 1e-4) << j;
    EXPECT_NEAR(v2 / 400, j == 2 ? 0.0 : 1.0, 1e-4) << j;
  }
  for (size_t i = 0; i < d.rows; ++i) EXPECT_EQ(d.row(i)[2], 0.0f);  // constant -> 0
}

TEST(Scaler, Errors) {
  Dataset d = table({{1, 2}});
  expect_error([&] { Scaler::fit(d, "zscore"); }, {"scaler 'zscore': unknown kind", "kinds: none, unit, minmax, standard"});
  const Scaler s = Scaler::fit(d, "minmax");
  Dataset other = table({{1, 2, 3}});
  expect_error([&] { s.apply(other); }, {"fitted on 2 features", "'table' has 3"});
  Dataset empty = table({});
  empty.features = 2;
  expect_error([&] { Scaler::fit(empty, "standard"); }, {"no rows to fit on"});
}

}  // namespace
}  // namespace actlab::data
