// IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed.
//
// Layout (big-endian): magic 00 00 TYPE NDIM, then NDIM uint32 sizes, then
// the elements. TYPE 0x08 is uint8; images are NDIM 3 (N x R x C), labels
// NDIM 1 (N). The header is never trusted: sizes are checked against the
// file before anything of that size is allocated, and the data must end
// exactly where the header says.
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "actlab/data.h"

namespace actlab::data {
namespace {

constexpr const char* kInstallFix = "install dataset-fashion-mnist or pass --data DIR with the four IDX files";
constexpr const char* kDamagedFix = "re-download the file (or reinstall dataset-fashion-mnist)";

// 2^31 elements: 8 GiB of floats. Real IDX sets are far below (Fashion-MNIST
// train is 47 million); a header above this is corrupt, and refusing it keeps
// every size computation inside 64 bits.
constexpr uint64_t kMaxElements = uint64_t{1} << 31;

// Deflate's best compression ratio is 1032:1 (zlib FAQ), so a gzip file of S
// bytes decompresses to at most 1032 * S bytes: a header promising more is
// caught by the length check without allocating what it claims.
constexpr uint64_t kMaxDeflateRatio = 1032;

[[noreturn]] void fail(const std::string& path, const std::string& problem, std::string_view fix) {
  throw Error(fmt::format("{}: {}; {}", path, problem, fix));
}

// A file's bytes in order, inflated when the content starts with the gzip
// magic 1f 8b (the name does not matter). read() returns fewer bytes than
// asked only at the end of the data; cut_off() then tells whether the gzip
// stream ended before its trailer (a truncated download). A damaged stream
// (bad header, bad deflate data, CRC or length mismatch in the trailer)
// throws.
class ByteSource {
 public:
  explicit ByteSource(const std::string& path) : path_(path) {
    file_.reset(std::fopen(path.c_str(), "rb"));
    f_ = file_.get();
    if (!f_) fail(path, fmt::format("cannot open ({})", std::strerror(errno)), kInstallFix);
    struct stat st {};
    if (fstat(fileno(f_), &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "not a regular file", kInstallFix);
    size_ = static_cast<uint64_t>(st.st_size);
    uint8_t magic[2] = {0, 0};
    const size_t got = std::fread(magic, 1, 2, f_);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      gzip_ = true;
      in_.resize(size_t{1} << 18);
      in_[0] = magic[0];
      in_[1] = magic[1];
      // 15 + 16: a 32 KiB window, gzip wrapper only (no zlib or raw deflate).
      if (inflateInit2(&z_, 15 + 16) != Z_OK) fail(path, "zlib could not start (out of memory?)", "free some memory");
      z_init_ = true;
      z_.next_in = in_.data();
      z_.avail_in = 2;
    } else {
      std::rewind(f_);
    }
  }
  ~ByteSource() {
    if (z_init_) inflateEnd(&z_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }
  uint64_t file_size() const { return size_; }
  bool cut_off() const { return cut_off_; }

  size_t read(uint8_t* dst, size_t n) {
    if (!gzip_) {
      const size_t got = std::fread(dst, 1, n, f_);
      if (got < n && std::ferror(f_)) fail(path_, fmt::format("read error ({})", std::strerror(errno)), kDamagedFix);
      return got;
    }
    size_t got = 0;
    while (got < n && !done_) {
      if (z_.avail_in == 0 && refill() == 0) {
        // The compressed bytes ran out inside a member: no trailer was seen.
        cut_off_ = done_ = true;
        break;
      }
      // avail_out is 32-bit; large reads go in 1 GiB pieces.
      const size_t want = std::min<size_t>(n - got, size_t{1} << 30);
      z_.next_out = dst + got;
      z_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      got += want - z_.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail(path_, fmt::format("corrupted gzip stream ({})", z_.msg ? z_.msg : zError(rc)), kDamagedFix);
      }
    }
    return got;
  }

 private:
  // Moves the unread input to the front of the buffer and reads more behind
  // it; returns the bytes now available.
  size_t refill() {
    if (z_.avail_in > 0 && z_.next_in != in_.data()) std::memmove(in_.data(), z_.next_in, z_.avail_in);
    const size_t got = std::fread(in_.data() + z_.avail_in, 1, in_.size() - z_.avail_in, f_);
    if (got == 0 && std::ferror(f_)) fail(path_, fmt::format("read error ({})", std::strerror(errno)), kDamagedFix);
    z_.next_in = in_.data();
    z_.avail_in += static_cast<uInt>(got);
    return z_.avail_in;
  }

  // After a member's trailer checked out: the end of the file, or another
  // member (gzip writes one per concatenated input), or garbage.
  void next_member() {
    if (z_.avail_in < 2) refill();
    if (z_.avail_in == 0) {
      done_ = true;
    } else if (z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b) {
      inflateReset(&z_);
    } else {
      fail(path_, "trailing bytes after the gzip stream", kDamagedFix);
    }
  }

  std::string path_;
  struct Closer {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, Closer> file_;
  FILE* f_ = nullptr;  // file_.get()
  uint64_t size_ = 0;
  bool gzip_ = false;
  bool z_init_ = false;
  bool done_ = false;
  bool cut_off_ = false;
  z_stream z_{};
  std::vector<uint8_t> in_;
};

const char* type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

// One IDX file of uint8 elements with `ndim` dimensions (3: images, 1:
// labels): the header on construction, the elements on read().
class IdxReader {
 public:
  IdxReader(const std::string& path, int ndim) : path_(path), ndim_(ndim), src_(path) {
    const char* what = ndim == 3 ? "images" : "labels";
    const uint32_t want_magic = 0x800u | static_cast<uint32_t>(ndim);
    uint8_t head[16];
    const size_t head_bytes = 4 + 4 * static_cast<size_t>(ndim);
    const size_t got = src_.read(head, 4);
    if (got < 4) {
      fail(path, fmt::format("truncated: {} bytes{}, shorter than the 4-byte IDX magic", got,
                             src_.gzip() ? " after decompression" : ""),
           kDamagedFix);
    }
    const uint32_t magic = be32(head);
    if (magic != want_magic) {
      const uint32_t other_magic = ndim == 3 ? 0x801u : 0x803u;
      std::string problem = fmt::format("magic 0x{:08X}, expected 0x{:08X} (IDX uint8 {})", magic, want_magic, what);
      std::string fix;
      if (magic == other_magic) {
        problem += fmt::format(": is this {} file?", ndim == 3 ? "a labels" : "an images");
        fix = fmt::format("pass the {} file (*-{}-idx{}-ubyte[.gz]) here", what, what, ndim == 3 ? 3 : 1);
      } else if (head[0] == 0 && head[1] == 0 && type_name(head[2])) {
        problem += fmt::format(": this IDX file holds {} with {} dimensions", type_name(head[2]), int{head[3]});
        fix = "only uint8 images (3-D) and labels (1-D) are read";
      } else {
        problem += ": not an IDX file";
        fix = "pass an IDX file such as train-images-idx3-ubyte[.gz]";
      }
      fail(path, problem, fix);
    }
    const size_t got_dims = src_.read(head + 4, head_bytes - 4);
    if (got_dims < head_bytes - 4) {
      fail(path, fmt::format("truncated: the {}-byte IDX header ends after {} bytes", head_bytes, 4 + got_dims),
           kDamagedFix);
    }
    for (int i = 0; i < ndim; ++i) dims_[i] = be32(head + 4 + 4 * i);
    for (int i = 0; i < ndim; ++i) {
      if (dims_[i] == 0) fail(path, fmt::format("zero dimension in the header ({})", shape()), kDamagedFix);
    }
    // Each dimension is below 2^32 and the running product is checked
    // before every multiplication, so nothing here overflows 64 bits.
    uint64_t n = 1;
    for (int i = 0; i < ndim; ++i) {
      n *= dims_[i];
      if (n > kMaxElements) {
        fail(path, fmt::format("absurd size: header promises {}, more than 2^31 elements", shape()), kDamagedFix);
      }
    }
    elements_ = n;
    head_bytes_ = head_bytes;
  }

  uint32_t count() const { return dims_[0]; }
  uint32_t dim(int i) const { return dims_[i]; }
  const std::string& path() const { return path_; }

  // The elements, exactly elements() of them. Peak memory is that buffer
  // (plus, for gzip, a 256 KiB input buffer).
  std::unique_ptr<uint8_t[]> read() {
    const uint64_t want = elements_;
    if (!src_.gzip()) {
      // The file size says it all before any allocation.
      const uint64_t holds = src_.file_size() - head_bytes_;
      if (holds < want) truncated(holds, false);
      if (holds > want) trailing(holds);
    }
    // For gzip the buffer starts at what the compressed size can possibly
    // produce and grows only as data actually arrives, so a lying header
    // costs at most ~1000x the file's size.
    uint64_t cap = want;
    if (src_.gzip()) cap = std::min<uint64_t>(want, kMaxDeflateRatio * src_.file_size() + 4096);
    auto buf = std::make_unique_for_overwrite<uint8_t[]>(cap);
    uint64_t have = 0;
    for (;;) {
      have += src_.read(buf.get() + have, cap - have);
      if (have < cap || cap == want) break;
      const uint64_t bigger = std::min<uint64_t>(want, 2 * cap);
      auto grown = std::make_unique_for_overwrite<uint8_t[]>(bigger);
      std::memcpy(grown.get(), buf.get(), have);
      buf = std::move(grown);
      cap = bigger;
    }
    if (have < want) truncated(have, src_.cut_off());
    uint8_t probe;
    if (src_.read(&probe, 1) != 0) trailing(0);
    // All bytes arrived but the 8-byte trailer did not: its CRC-32 is what
    // vouches for them.
    if (src_.cut_off()) {
      fail(path_, fmt::format("truncated: the gzip stream is cut off after all {} bytes, before its CRC", want),
           kDamagedFix);
    }
    return buf;
  }

 private:
  static uint32_t be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  }

  std::string shape() const {
    if (ndim_ == 3) return fmt::format("{} images of {}x{}", dims_[0], dims_[1], dims_[2]);
    return fmt::format("{} labels", dims_[0]);
  }

  [[noreturn]] void truncated(uint64_t holds, bool cut_off) {
    fail(path_,
         fmt::format("truncated: header promises {} ({} bytes), file holds {}{}", shape(), elements_, holds,
                     cut_off ? " (the gzip stream is cut off)" : ""),
         kDamagedFix);
  }

  // holds == 0: unknown (gzip, where only one byte past the end is read).
  [[noreturn]] void trailing(uint64_t holds) {
    fail(path_,
         holds ? fmt::format("trailing bytes: header promises {} ({} bytes), file holds {}", shape(), elements_, holds)
               : fmt::format("trailing bytes: header promises {} ({} bytes), file holds more", shape(), elements_),
         kDamagedFix);
  }

  std::string path_;
  int ndim_;
  ByteSource src_;
  uint32_t dims_[3] = {0, 0, 0};
  uint64_t elements_ = 0;
  uint64_t head_bytes_ = 0;
};

std::string base_name(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  return name;
}

}  // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path) {
  // Both headers first: a count mismatch is reported before 47 MB of pixels
  // are inflated.
  IdxReader images(images_path, 3);
  IdxReader labels(labels_path, 1);
  if (images.count() != labels.count()) {
    fail(images_path,
         fmt::format("{} images, but {} holds {} labels", images.count(), labels_path, labels.count()),
         "pass the labels file that belongs to these images");
  }
  Dataset d;
  d.name = base_name(images_path);
  d.rows = images.count();
  d.features = size_t{images.dim(1)} * images.dim(2);

  // Pixels first, so a lying image header is reported as such whatever the
  // labels file holds. Peak memory: the uint8 pixels, the labels, and the
  // float copy (assign() from the byte range converts without zero-filling
  // first); the bytes are freed on return.
  const auto pixels = images.read();
  const auto raw_labels = labels.read();
  d.labels.assign(raw_labels.get(), raw_labels.get() + d.rows);
  int32_t max_label = 0;
  for (int32_t v : d.labels) max_label = std::max(max_label, v);
  d.classes = static_cast<size_t>(max_label) + 1;
  d.x.assign(pixels.get(), pixels.get() + d.rows * d.features);
  return d;
}

namespace {

Splits load_idx_dir(const std::string& dir, bool fashion) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    const bool exists = fs::exists(dir, ec);
    fail(dir, exists ? "not a directory" : "cannot open (No such file or directory)", kInstallFix);
  }
  static constexpr const char* kFiles[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::string paths[4];
  std::string missing;
  for (int i = 0; i < 4; ++i) {
    // The raw file wins when both exist: it reads without inflating.
    for (const char* suffix : {"", ".gz"}) {
      const std::string p = (fs::path(dir) / (std::string(kFiles[i]) + suffix)).string();
      if (fs::is_regular_file(p, ec)) {
        paths[i] = p;
        break;
      }
    }
    if (paths[i].empty()) missing += fmt::format("{}{}[.gz]", missing.empty() ? "" : ", ", kFiles[i]);
  }
  if (!missing.empty()) fail(dir, fmt::format("missing {}", missing), kInstallFix);

  Splits s;
  s.train = read_idx(paths[0], paths[1]);
  s.test = read_idx(paths[2], paths[3]);
  if (s.train.features != s.test.features) {
    fail(paths[2], fmt::format("images have {} pixels, but the training images ({}) have {}", s.test.features,
                               paths[0], s.train.features),
         "use the train and t10k files of one dataset");
  }

  const std::string family = fashion ? "fashion-mnist" : "mnist";
  s.train.name = family + "-train";
  s.test.name = family + "-test";

  // Both families have ten classes; a split that happens to lack the top
  // labels still gets all ten so train and test agree on the output size.
  size_t classes = std::max<size_t>({s.train.classes, s.test.classes, 10});
  std::vector<std::string> names;
  if (classes == 10) {
    if (fashion) {
      names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    } else {
      for (int i = 0; i < 10; ++i) names.push_back(std::to_string(i));
    }
  }
  for (Dataset* d : {&s.train, &s.test}) {
    d->classes = classes;
    d->class_names = names;
  }
  return s;
}

}  // namespace

Splits load_idx_dir(const std::string& dir) {
  std::string lower = dir;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return load_idx_dir(dir, lower.find("fashion") != std::string::npos);
}

std::string fashion_mnist_dir() {
  const char* dir = std::getenv("ACTLAB_FASHION_MNIST");
  return dir && *dir ? dir : kFashionMnistDir;
}

Splits load_fashion_mnist() { return load_idx_dir(fashion_mnist_dir(), true); }

}  // namespace actlab::data
