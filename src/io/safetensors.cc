// safetensors reader and writer. The rules enforced are the reference
// reader's (huggingface/safetensors, tensor.rs: read_metadata + validate),
// plus duplicate keys, which serde would silently collapse.
#include "actlab/safetensors.h"
#include "src/common/json_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

namespace actlab::safetensors {

// Tensor bytes go to and from disk unconverted.
static_assert(std::endian::native == std::endian::little,
              "safetensors is little-endian; a big-endian port must swap bytes on read and write");

namespace {

using json = nlohmann::json;

// The reference reader refuses longer headers (MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
  // The reference writer orders tensors by its Dtype enum, descending; among
  // ours that enum reads U8 < I32 < F32 < F64 < I64.
  int writer_rank;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4, 2}, {DType::F64, "F64", 8, 3}, {DType::I32, "I32", 4, 1},
    {DType::I64, "I64", 8, 4}, {DType::U8, "U8", 1, 0},
};
// Valid in the format but not stored by actlab: named as such in errors.
constexpr const char* kOtherFormatDTypes[] = {"BOOL",    "F4",      "F6_E2M3", "F6_E3M2",     "I8",
                                              "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
                                              "I16",     "U16",     "F16",     "BF16",        "U32",
                                              "C64",     "U64"};

const DTypeInfo& info(DType d) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.dtype == d) return i;
  }
  throw Error("safetensors: invalid DType value " + std::to_string(static_cast<int>(d)));
}

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

[[noreturn]] void fail(const std::string& path, const std::string& problem) { throw Error(path + ": " + problem); }

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

// Bytes of a tensor: product(shape) * element size; false on overflow.
// Multiplied in the reference's order (elements left to right, then the
// size), so [2^40, 2^40, 0] overflows here as it does there.
bool byte_count(const std::vector<int64_t>& shape, size_t elem, uint64_t* out) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (d != 0 && n > kMax / static_cast<uint64_t>(d)) return false;
    n *= static_cast<uint64_t>(d);
  }
  if (n > kMax / elem) return false;
  *out = n * elem;
  return true;
}

// ---- writing ----------------------------------------------------------------------

// Removes the temporary file unless released (renamed into place).
struct TempFile {
  std::string path;
  int fd = -1;
  bool live = true;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (live) ::unlink(path.c_str());
  }
};

void write_all(int fd, const void* data, size_t n, const std::string& path, const std::string& tmp) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    // Linux caps one write at about 2 GiB; larger requests come back short.
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot write the temporary file " + tmp + ": " + errno_text(errno) +
                     "; the old file (if any) is unchanged");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// A JSON string literal; names and metadata must be UTF-8 to be JSON at all.
std::string json_text(const std::string& path, const std::string& s, const std::string& what) {
  try {
    return json(s).dump();
  } catch (const json::exception&) {
    fail(path, "cannot write: " + what + " is not valid UTF-8, which JSON (and so the header) requires");
  }
}

std::string parent_folder(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// ---- reading ----------------------------------------------------------------------

// Finds the first duplicate key at any depth while nlohmann parses (it keeps
// the last value silently, which would hide a tensor).
struct DuplicateFinder {
  std::vector<std::set<std::string>> open_objects;
  std::vector<std::string> keys;  // the key being parsed at each open object
  std::string problem;

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const std::string& k = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(k).second && problem.empty()) {
          if (open_objects.size() == 1) {
            problem = k == "__metadata__" ? "\"__metadata__\" appears twice in the header"
                                          : "tensor " + quoted(k) + " appears twice in the header";
          } else {
            const std::string& owner = keys[0];
            problem = "key " + quoted(k) + " appears twice in the entry of " +
                      (owner == "__metadata__" ? std::string("\"__metadata__\"") : "tensor " + quoted(owner));
          }
        }
        keys.back() = k;
        break;
      }
      default:
        break;
    }
    return true;
  }
};

const char* json_type(const json& j) { return j.type_name(); }

// A non-negative JSON integer, as the reference (serde usize) requires.
bool as_count(const json& j, uint64_t* out) {
  if (!j.is_number_unsigned()) return false;
  *out = j.get<uint64_t>();
  return true;
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& path, const std::string& name, const json& j) {
  const std::string where = "tensor " + quoted(name) + ": ";
  if (!j.is_object()) fail(path, where + "entry is a JSON " + json_type(j) + ", expected an object with dtype, shape, data_offsets");
  Entry e;
  e.name = name;

  auto dt = j.find("dtype");
  if (dt == j.end()) fail(path, where + "no \"dtype\"");
  if (!dt->is_string()) fail(path, where + "\"dtype\" is a JSON " + json_type(*dt) + ", expected a string such as \"F32\"");
  const std::string& dname = dt->get_ref<const std::string&>();
  const DTypeInfo* found = nullptr;
  for (const DTypeInfo& i : kDTypes) {
    if (dname == i.name) found = &i;
  }
  if (!found) {
    for (const char* other : kOtherFormatDTypes) {
      if (dname == other) fail(path, where + "dtype " + dname + " is valid safetensors but actlab stores only F32, F64, I32, I64, U8; convert the tensor first");
    }
    fail(path, where + "unknown dtype \"" + dname + "\" (safetensors dtypes are upper case: F32, F64, I32, I64, U8, ...)");
  }
  e.dtype = found->dtype;

  auto sh = j.find("shape");
  if (sh == j.end()) fail(path, where + "no \"shape\"");
  if (!sh->is_array()) fail(path, where + "\"shape\" is a JSON " + json_type(*sh) + ", expected an array of sizes");
  for (const json& d : *sh) {
    uint64_t v;
    if (!as_count(d, &v)) fail(path, where + "shape " + sh->dump() + " holds " + d.dump() + ", not a non-negative integer");
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) fail(path, where + "shape " + sh->dump() + " has a dimension over 2^63 - 1");
    e.shape.push_back(static_cast<int64_t>(v));
  }

  auto off = j.find("data_offsets");
  if (off == j.end()) fail(path, where + "no \"data_offsets\"");
  if (!off->is_array() || off->size() != 2 || !as_count((*off)[0], &e.begin) || !as_count((*off)[1], &e.end)) {
    fail(path, where + "\"data_offsets\" is " + off->dump() + ", expected [BEGIN, END] as two non-negative integers");
  }
  if (e.end < e.begin) {
    fail(path, where + "data_offsets " + off->dump() + " end before they begin");
  }
  uint64_t need;
  if (!byte_count(e.shape, found->size, &need)) {
    fail(path, where + "shape " + shape_text(e.shape) + " of " + found->name + " is too large (its byte count overflows 64 bits)");
  }
  if (need != e.end - e.begin) {
    fail(path, where + "shape " + shape_text(e.shape) + " of " + found->name + " needs " + std::to_string(need) +
                   " bytes, but data_offsets " + off->dump() + " hold " + std::to_string(e.end - e.begin));
  }
  return e;
}

}  // namespace

const char* dtype_name(DType d) { return info(d).name; }
size_t dtype_size(DType d) { return info(d).size; }

size_t Tensor::elements() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

void write(const std::string& path, std::span<const TensorRef> tensors,
           const std::map<std::string, std::string>& metadata) {
  const std::string cannot = "cannot write: ";
  // Validate everything before touching the disk.
  std::vector<uint64_t> sizes(tensors.size());
  std::set<std::string> names;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorRef& t = tensors[i];
    const DTypeInfo& di = info(t.dtype);
    if (t.name == "__metadata__") fail(path, cannot + "a tensor may not be named \"__metadata__\" (the format reserves it); rename it");
    if (!names.insert(t.name).second) fail(path, cannot + "two tensors are named " + quoted(t.name) + "; names must be unique");
    for (int64_t d : t.shape) {
      if (d < 0) fail(path, cannot + "tensor " + quoted(t.name) + " has shape " + shape_text(t.shape) + "; dimensions must be >= 0");
    }
    if (!byte_count(t.shape, di.size, &sizes[i])) {
      fail(path, cannot + "tensor " + quoted(t.name) + " has shape " + shape_text(t.shape) + ", too large to address");
    }
    if (sizes[i] > 0 && t.data == nullptr) {
      fail(path, cannot + "tensor " + quoted(t.name) + " has " + std::to_string(sizes[i]) + " bytes but a null data pointer");
    }
  }

  // The reference writer's order: element size (its Dtype rank) descending,
  // then name. With a header padded to 8 this aligns every tensor to its
  // element size, and the file is byte-identical to Python's save_file.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    int ra = info(tensors[a].dtype).writer_rank, rb = info(tensors[b].dtype).writer_rank;
    if (ra != rb) return ra > rb;
    return tensors[a].name < tensors[b].name;  // bytewise, as Rust's String order
  });

  // serde_json's compact form: no spaces; json::dump() escapes strings the
  // same way (\", \\, \b \f \n \r \t, other controls as \u00xx, UTF-8 kept).
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "" : ",") + json_text(path, k, "metadata key " + quoted(k)) + ":" +
                json_text(path, v, "the value of metadata " + quoted(k));
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (size_t i : order) {
    const TensorRef& t = tensors[i];
    if (header.size() > 1) header += ",";
    header += json_text(path, t.name, "tensor name " + quoted(t.name)) + ":{\"dtype\":\"" + info(t.dtype).name + "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d) header += (d ? "," : "") + std::to_string(t.shape[d]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + sizes[i]) + "]}";
    offset += sizes[i];
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  if (header.size() > kMaxHeaderBytes) {
    fail(path, cannot + "the header would be " + std::to_string(header.size()) + " bytes, over the format's 100 MB limit; write fewer tensors or shorter names");
  }
  unsigned char length[8];
  for (int b = 0; b < 8; ++b) length[b] = static_cast<unsigned char>(uint64_t{header.size()} >> (8 * b));

  TempFile tmp;
  tmp.path = path + ".tmp." + std::to_string(::getpid());
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (tmp.fd < 0) {
    tmp.live = false;  // nothing was created (or it is not ours to remove)
    fail(path, "cannot create the temporary file " + tmp.path + ": " + errno_text(errno));
  }
  write_all(tmp.fd, length, sizeof length, path, tmp.path);
  write_all(tmp.fd, header.data(), header.size(), path, tmp.path);
  for (size_t i : order) write_all(tmp.fd, tensors[i].data, sizes[i], path, tmp.path);
  // Data on disk before the rename publishes it: otherwise a crash could
  // leave PATH naming a file whose blocks were never written.
  if (::fsync(tmp.fd) != 0) fail(path, "cannot sync the temporary file " + tmp.path + ": " + errno_text(errno));
  int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail(path, "cannot close the temporary file " + tmp.path + ": " + errno_text(errno));
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) {
    fail(path, "cannot rename " + tmp.path + " over it: " + errno_text(errno) + "; the old file (if any) is unchanged");
  }
  tmp.live = false;
  // The rename itself is durable only once the folder is synced.
  const std::string folder = parent_folder(path);
  int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(path, "written, but cannot open its folder " + folder + " to sync it: " + errno_text(errno));
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) fail(path, "written, but syncing its folder " + folder + " failed: " + errno_text(err));
}

File read(const std::string& path) {
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  } f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail(path, "cannot open: " + errno_text(errno));
  struct stat st;
  if (::fstat(f.fd, &st) != 0) fail(path, "cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a folder, not a safetensors file");
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file (safetensors files are read by size and offset)");
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  // Reads exactly n bytes at offset; a short read means the file shrank.
  auto read_at = [&](void* dst, uint64_t n, uint64_t at) {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      ssize_t r = ::pread(f.fd, p, std::min<uint64_t>(n, uint64_t{1} << 30), static_cast<off_t>(at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) fail(path, "read error: " + errno_text(errno));
      if (r == 0) fail(path, "truncated while reading (the file got shorter; is something writing it?)");
      p += r;
      at += static_cast<uint64_t>(r);
      n -= static_cast<uint64_t>(r);
    }
  };

  if (size == 0) fail(path, "empty file, not a safetensors file (expected an 8-byte header length, then JSON)");
  if (size < 8) {
    fail(path, "only " + std::to_string(size) + " bytes: not a safetensors file, which starts with an 8-byte header length");
  }
  unsigned char length[8];
  read_at(length, 8, 0);
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= uint64_t{length[b]} << (8 * b);
  if (n > kMaxHeaderBytes) {
    fail(path, "not a safetensors file: its first 8 bytes give a header length of " + std::to_string(n) +
                   " bytes, over the format's 100 MB limit");
  }
  if (n > size - 8) {
    fail(path, "truncated: header says its JSON is " + std::to_string(n) + " bytes, file holds " +
                   std::to_string(size - 8) + " after the length field; the file was cut short (interrupted copy?)");
  }
  std::string text(n, '\0');
  read_at(text.data(), n, 8);

  // nlohmann takes a NUL byte for the end of input and would ignore the
  // rest; JSON allows none anywhere (the reference rejects them).
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    fail(path, "header is not valid JSON (a NUL byte at byte " + std::to_string(nul) +
                   " of the header); not a safetensors file, or a corrupted one");
  }
  DuplicateFinder dups;
  json header;
  try {
    header = json::parse(text.begin(), text.end(), std::ref(dups));
  } catch (const json::exception& e) {
    fail(path, "header is not valid JSON (" + detail::json_error_text(e) + "); not a safetensors file, or a corrupted one");
  }
  if (!dups.problem.empty()) fail(path, dups.problem);
  if (!header.is_object()) fail(path, std::string("header is a JSON ") + json_type(header) + ", expected an object; not a safetensors file");

  File out;
  out.path = path;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail(path, std::string("\"__metadata__\" is a JSON ") + json_type(value) + ", expected an object of strings");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) fail(path, "metadata " + quoted(mk) + " is a JSON " + json_type(mv) + " (" + mv.dump() + "); metadata values must be strings");
        out.metadata.emplace(mk, mv.get<std::string>());
      }
      continue;
    }
    entries.push_back(parse_entry(path, key, value));
  }

  // Sorted by offsets (then name, for a stable message), the tensors must
  // tile [0, total) exactly.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    auto range = [](const Entry& x) { return "[" + std::to_string(x.begin) + ", " + std::to_string(x.end) + ")"; };
    if (e.begin < pos) {
      fail(path, "tensors " + quoted(prev->name) + " " + range(*prev) + " and " + quoted(e.name) + " " + range(e) + " overlap");
    }
    if (e.begin > pos) {
      if (!prev) fail(path, "tensor data starts at byte " + std::to_string(e.begin) + " (tensor " + quoted(e.name) + "), not 0: a gap of " + std::to_string(e.begin) + " unused bytes");
      fail(path, "gap of " + std::to_string(e.begin - pos) + " unused bytes between tensor " + quoted(prev->name) + " " +
                     range(*prev) + " and tensor " + quoted(e.name) + " " + range(e));
    }
    pos = e.end;
    prev = &e;
  }
  const uint64_t data_bytes = size - 8 - n;
  if (pos > data_bytes) {
    fail(path, "truncated: header says " + std::to_string(pos) + " bytes of tensor data, file holds " +
                   std::to_string(data_bytes) + "; the file was cut short (interrupted copy?)");
  }
  if (pos < data_bytes) {
    fail(path, std::to_string(data_bytes - pos) + " bytes after the last tensor that the header does not describe (header covers " +
                   std::to_string(pos) + " bytes of tensor data, file holds " + std::to_string(data_bytes) +
                   "); the file was appended to or its header damaged");
  }

  // Every size is now bounded by the file's, so these allocations are too.
  for (const Entry& e : entries) {
    Tensor t;
    t.dtype = e.dtype;
    t.shape = e.shape;
    t.bytes.resize(e.end - e.begin);
    read_at(t.bytes.data(), t.bytes.size(), 8 + n + e.begin);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

template <class T>
std::vector<T> File::get(const std::string& name, const std::vector<int64_t>& shape) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) {
    std::string have;
    size_t listed = 0;
    for (const auto& [k, v] : tensors) {
      if (listed == 10) {
        have += ", ...";
        break;
      }
      have += (listed++ ? ", " : "") + quoted(k);
    }
    fail(path, "no tensor " + quoted(name) + (tensors.empty() ? " (the file holds no tensors)" : " (the file holds " + have + ")"));
  }
  const Tensor& t = it->second;
  constexpr DType want = dtype_of<T>();
  if (t.dtype != want) {
    fail(path, "tensor " + quoted(name) + " is " + dtype_name(t.dtype) + ", read as " + dtype_name(want) + "; ask for the stored type");
  }
  if (!shape.empty() && shape != t.shape) {
    fail(path, "tensor " + quoted(name) + " has shape " + shape_text(t.shape) + ", expected " + shape_text(shape));
  }
  std::vector<T> v(t.elements());
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
  return v;
}

template std::vector<float> File::get<float>(const std::string&, const std::vector<int64_t>&) const;
template std::vector<double> File::get<double>(const std::string&, const std::vector<int64_t>&) const;
template std::vector<int32_t> File::get<int32_t>(const std::string&, const std::vector<int64_t>&) const;
template std::vector<int64_t> File::get<int64_t>(const std::string&, const std::vector<int64_t>&) const;
template std::vector<uint8_t> File::get<uint8_t>(const std::string&, const std::vector<int64_t>&) const;

}  // namespace actlab::safetensors
