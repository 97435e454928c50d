// Plotting: ticks and tick labels against hand-worked values and the
// properties of the nice-numbers rule; every format written and read back
// (PNG decoded by cairo, its pixels inspected); bad data drawn without
// crashing; bad paths give one-line errors and leave no file behind.
#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/activation.h"
#include "actlab/plot.h"

namespace fs = std::filesystem;
using namespace actlab::plot;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

fs::path TempDir();

// Removes the test's files when every test has run (ACTLAB_PLOT_TEST_KEEP=1
// keeps them, to look at).
struct Cleanup : ::testing::Environment {
  void TearDown() override {
    if (!std::getenv("ACTLAB_PLOT_TEST_KEEP")) fs::remove_all(TempDir());
    release_caches();  // fontconfig's caches would show as leaks under ASan
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new Cleanup);

fs::path TempDir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("actlab-plot-test-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True when v is 1, 2 or 5 times a power of ten.
bool OneTwoFive(double v) {
  const double m = v / std::pow(10.0, std::floor(std::log10(v)));
  return std::fabs(m - 1) < 1e-9 || std::fabs(m - 2) < 1e-9 || std::fabs(m - 5) < 1e-9 || std::fabs(m - 10) < 1e-9;
}

// Pixels of a PNG, decoded by cairo.
struct Image {
  int w = 0, h = 0;
  std::vector<unsigned> rgb;  // 0xRRGGBB, row-major
  unsigned at(int x, int y) const { return rgb[size_t(y) * size_t(w) + size_t(x)]; }
};

Image LoadPng(const fs::path& p) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(p.c_str());
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << p;
  Image img;
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
    cairo_surface_flush(s);
    img.w = cairo_image_surface_get_width(s);
    img.h = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char* data = cairo_image_surface_get_data(s);
    for (int y = 0; y < img.h; ++y)
      for (int x = 0; x < img.w; ++x)
        img.rgb.push_back(reinterpret_cast<const uint32_t*>(data + size_t(y) * size_t(stride))[x] & 0xffffff);
  }
  cairo_surface_destroy(s);
  return img;
}

// Pixels within `tol` per channel of `colour` (anti-aliased edges differ).
size_t Count(const Image& img, unsigned colour, int tol = 12) {
  size_t n = 0;
  for (unsigned c : img.rgb) {
    bool near = true;
    for (int sh = 0; sh < 24; sh += 8)
      near &= std::abs(int((c >> sh) & 255) - int((colour >> sh) & 255)) <= tol;
    n += near;
  }
  return n;
}

Figure OnePanel(std::vector<Series> series, int w = 400, int h = 300) {
  Figure f;
  Panel p;
  p.title = "test";
  p.xlabel = "x";
  p.ylabel = "y";
  p.series = std::move(series);
  f.panels.push_back(p);
  f.width = w;
  f.height = h;
  return f;
}

std::vector<double> Range(double lo, double hi, size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * double(i) / double(n - 1);
  return v;
}

size_t FilesIn(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST(NiceTicks, HandWorkedCases) {
  // Heckbert: range = nice(hi - lo), step = nice(range / (target - 1)) rounded.
  EXPECT_EQ(nice_ticks(-4, 4, 5), (std::vector<double>{-4, -2, 0, 2, 4}));
  EXPECT_EQ(nice_ticks(0, 100, 5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(0, 1, 5).size(), 6u);  // step 0.2
  EXPECT_NEAR(nice_ticks(0, 1, 5)[3], 0.6, 1e-15);
  EXPECT_EQ(nice_ticks(0.13, 0.87, 3), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(nice_ticks(3, 97, 10).front(), 0);
  EXPECT_EQ(nice_ticks(3, 97, 10)[1], 10);
  EXPECT_EQ(nice_ticks(4, -4, 5), nice_ticks(-4, 4, 5));  // order does not matter
}

TEST(NiceTicks, ZeroIsExactlyZero) {
  // 0.1-steps from -0.3: k * 0.1 for k = 3 is not 0.3 exactly, but k = 0 must be 0.
  const auto t = nice_ticks(-0.3, 0.7, 11);
  bool has_zero = false;
  for (double v : t) has_zero |= v == 0 && !std::signbit(v);
  EXPECT_TRUE(has_zero);
}

TEST(NiceTicks, PropertiesOnRandomIntervals) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mant(-10, 10), expo(-200, 200);
  for (int trial = 0; trial < 20000; ++trial) {
    const double scale = std::pow(10.0, std::round(expo(rng)));
    double lo = mant(rng) * scale, hi = mant(rng) * scale;
    if (lo > hi) std::swap(lo, hi);
    const int target = 2 + trial % 9;
    const auto t = nice_ticks(lo, hi, target);
    ASSERT_GE(t.size(), 2u) << lo << " " << hi;
    ASSERT_LE(t.size(), size_t(2 * target + 3)) << lo << " " << hi << " " << target;
    ASSERT_LE(t.front(), lo);
    ASSERT_GE(t.back(), hi);
    const double step = t[1] - t[0];
    ASSERT_TRUE(OneTwoFive(step)) << step;
    for (size_t i = 1; i < t.size(); ++i) ASSERT_NEAR(t[i] - t[i - 1], step, step * 1e-6);
  }
}

TEST(NiceTicks, ConstantTinyAndHugeIntervals) {
  for (double v : {0.0, 3.0, -7.5, 1e-300, 4.9e-324, 1e300, -1.7e308}) {
    const auto t = nice_ticks(v, v, 5);
    ASSERT_GE(t.size(), 2u) << v;
    EXPECT_LE(t.front(), v);
    EXPECT_GE(t.back(), v);
    for (double x : t) EXPECT_TRUE(std::isfinite(x));
  }
  const double big = std::numeric_limits<double>::max();
  for (double hi : {1e308, 1.05e308, 1.5e308, big}) {
    const auto t = nice_ticks(-hi, hi, 5);  // the span overflows
    ASSERT_GE(t.size(), 3u) << hi;
    ASSERT_LE(t.size(), 11u) << hi;
    for (double x : t) EXPECT_TRUE(std::isfinite(x)) << hi;
    EXPECT_TRUE(OneTwoFive(t[2] - t[1])) << hi;  // (t[1] - t[0] itself may overflow)
    if (hi <= 1.5e308) {
      EXPECT_LE(t.front(), -hi);
      EXPECT_GE(t.back(), hi);
    }
  }
}

TEST(NiceTicks, NonFiniteThrows) {
  EXPECT_THROW(nice_ticks(kNaN, 1), actlab::Error);
  EXPECT_THROW(nice_ticks(0, kInf), actlab::Error);
  EXPECT_THROW(nice_ticks(-kInf, kInf), actlab::Error);
}

TEST(FormatTick, NoNoise) {
  EXPECT_EQ(format_tick(0.5, 0.5), "0.5");
  EXPECT_EQ(format_tick(1, 0.5), "1.0");
  EXPECT_EQ(format_tick(2, 1), "2");
  EXPECT_EQ(format_tick(100, 20), "100");
  EXPECT_EQ(format_tick(0.1 * 3, 0.1), "0.3");
  EXPECT_EQ(format_tick(0.25, 0.05), "0.25");
  EXPECT_EQ(format_tick(-0.0, 1), "0");
  EXPECT_EQ(format_tick(-1e-17, 0.1), "0");
  EXPECT_EQ(format_tick(-2, 1), "-2");
  EXPECT_EQ(format_tick(1e6, 1e6), "1e6");
  EXPECT_EQ(format_tick(2.5e6, 5e5), "2.5e6");
  EXPECT_EQ(format_tick(-3e-5, 1e-5), "-3e-5");
  EXPECT_EQ(format_tick(1e300, 2e299), "1e300");
  EXPECT_EQ(format_tick(1.2e300, 2e299), "1.2e300");
}

TEST(Save, PngHasTheSizeAndColoursDrawn) {
  const auto x = Range(-4, 4, 201);
  std::vector<double> y1, y2;
  for (double v : x) y1.push_back(std::tanh(v)), y2.push_back(v * v / 8);
  Figure f = OnePanel({{"tanh", x, y1}, {"sq", x, y2, Kind::kLine, -1, true}}, 640, 400);
  const fs::path p = TempDir() / "a.png";
  save(f, p);
  const std::string bytes = ReadAll(p);
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const Image img = LoadPng(p);
  EXPECT_EQ(img.w, 640);
  EXPECT_EQ(img.h, 400);
  EXPECT_EQ(img.at(0, 0), 0xffffffu);          // white background
  EXPECT_EQ(img.at(639, 399), 0xffffffu);
  EXPECT_GT(Count(img, tab10(0)), 300u);        // the tanh curve, in tab10 blue
  EXPECT_GT(Count(img, tab10(1)), 150u);        // the dashed one, orange
  EXPECT_EQ(Count(img, tab10(2), 4), 0u);       // and no third colour
  EXPECT_GT(Count(img, 0x000000, 40), 200u);    // frame, ticks, text
}

TEST(Save, SvgAndPdf) {
  Figure f = OnePanel({{"line", {0, 1, 2}, {0, 1, 4}}});
  f.panels.push_back(f.panels[0]);
  f.title = "two panels";
  save(f, TempDir() / "a.svg");
  const std::string svg = ReadAll(TempDir() / "a.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  const std::string mem = render_svg(f);
  EXPECT_EQ(mem.rfind("<?xml", 0), 0u);
  EXPECT_NE(mem.find("<svg"), std::string::npos);
  save(f, TempDir() / "A.PDF");  // extension case does not matter
  const std::string pdf = ReadAll(TempDir() / "A.PDF");
  EXPECT_EQ(pdf.rfind("%PDF", 0), 0u);
  EXPECT_NE(pdf.find("%%EOF"), std::string::npos);
}

TEST(Save, NonFiniteBreaksTheLine) {
  const auto x = Range(0, 10, 101);
  std::vector<double> whole(x.size(), 1.0), gap = whole;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] > 4 && x[i] < 6) gap[i] = i % 2 ? kNaN : kInf;
  save(OnePanel({{"", x, whole}}), TempDir() / "whole.png");
  save(OnePanel({{"", x, gap}}), TempDir() / "gap.png");
  const size_t a = Count(LoadPng(TempDir() / "whole.png"), tab10(0));
  const size_t b = Count(LoadPng(TempDir() / "gap.png"), tab10(0));
  EXPECT_GT(a, 200u);
  // A fifth of the line is missing, not joined across the gap.
  EXPECT_LT(double(b), 0.88 * double(a));
  EXPECT_GT(double(b), 0.70 * double(a));
}

TEST(Save, BadDataDoesNotCrash) {
  const double big = std::numeric_limits<double>::max();
  std::vector<Figure> figs;
  figs.push_back(OnePanel({{"nan", {0, 1, 2}, {kNaN, kNaN, kNaN}}}));
  figs.push_back(OnePanel({{"empty", {}, {}}}));
  figs.push_back(OnePanel({{"inf", {kInf, -kInf, 1}, {1, 2, kInf}}}));
  figs.push_back(OnePanel({{"huge", {-big, 0, big}, {big, -big, big}}}));
  figs.push_back(OnePanel({{"tiny", {0, 1e-320, 2e-320}, {5e-324, 0, 1e-323}}}));
  figs.push_back(OnePanel({{"one", {3}, {3}}, {"bars", {}, {-1e300, 2e300}, Kind::kBars}}));
  Figure logy = OnePanel({{"log", {0, 1, 2, 3}, {-1, 0, 1e-300, 1e300}, Kind::kScatter}});
  logy.panels[0].log_y = true;
  figs.push_back(logy);
  Figure lim = OnePanel({{"far", {0, 1, 2}, {-1e300, 0.5, 1e300}}});
  lim.panels[0].ymin = 0;
  lim.panels[0].ymax = 1;
  figs.push_back(lim);
  Figure small = OnePanel({{"s", {0, 1}, {0, 1}}}, 50, 50);
  small.panels[0].title = std::string(200, 'W');
  figs.push_back(small);
  for (size_t i = 0; i < figs.size(); ++i) {
    const fs::path p = TempDir() / ("bad" + std::to_string(i) + ".png");
    ASSERT_NO_THROW(save(figs[i], p)) << i;
    EXPECT_EQ(LoadPng(p).w, figs[i].width);
    ASSERT_NO_THROW(render_svg(figs[i])) << i;
  }
}

TEST(Save, ConstantAndHugeDataAreVisible) {
  const auto x = Range(-1, 1, 50);
  save(OnePanel({{"", x, std::vector<double>(x.size(), 3.0)}}), TempDir() / "const.png");
  EXPECT_GT(Count(LoadPng(TempDir() / "const.png"), tab10(0)), 150u);
  std::vector<double> huge;
  for (double v : x) huge.push_back(v * 1e308);
  save(OnePanel({{"", x, huge}}), TempDir() / "huge.png");
  EXPECT_GT(Count(LoadPng(TempDir() / "huge.png"), tab10(0)), 150u);
}

TEST(Save, ErrorsAreOneLineAndLeaveNoFile) {
  const Figure f = OnePanel({{"l", {0, 1}, {0, 1}}});
  const auto expect_error = [](const std::function<void()>& fn, const std::string& start) {
    try {
      fn();
      ADD_FAILURE() << "no error for " << start;
    } catch (const actlab::Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(start, 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_NE(msg.find("; "), std::string::npos) << msg;  // PROBLEM; FIX
    }
  };
  const fs::path dir = TempDir() / "errors";
  fs::create_directories(dir);
  expect_error([&] { save(f, dir / "x.jpg"); }, (dir / "x.jpg").string() + ": unknown image format '.jpg'");
  expect_error([&] { save(f, dir / "noext"); }, (dir / "noext").string() + ": unknown image format");
  expect_error([&] { save(f, dir / "missing" / "x.png"); }, (dir / "missing" / "x.png").string() + ": cannot write");
  fs::create_directories(dir / "taken.png");  // a folder where the file should go
  expect_error([&] { save(f, dir / "taken.png"); }, (dir / "taken.png").string() + ": ");
  expect_error([&] { save(Figure{}, dir / "e.png"); }, (dir / "e.png").string() + ": the figure has no panels");
  Figure big = f;
  big.width = 100000;
  expect_error([&] { save(big, dir / "b.png"); }, (dir / "b.png").string() + ": size");
  expect_error([&] { save(OnePanel({{"m", {0, 1, 2}, {0, 1}}}), dir / "m.png"); }, "plot series 'm'");
  EXPECT_EQ(FilesIn(dir), 1u);  // only taken.png: no image, no temporary left behind
}

TEST(Save, ReplacesAnExistingFile) {
  const fs::path p = TempDir() / "replace.png";
  { std::ofstream(p) << "old"; }
  save(OnePanel({{"l", {0, 1}, {0, 1}}}), p);
  EXPECT_EQ(ReadAll(p).substr(1, 3), "PNG");
  EXPECT_EQ(fs::status(p).permissions() & fs::perms::others_read, fs::perms::others_read);
}

TEST(Save, BarsWithCategoriesAndLegend) {
  Figure f = OnePanel({{"p", {}, {0.1, 0.2, 0.7}, Kind::kBars}, {"q", {}, {0.3, 0.3, 0.4}, Kind::kBars}});
  f.panels[0].categories = {"cat", "dog", "a rather long class name"};
  f.panels[0].bar_values = true;
  save(f, TempDir() / "bars.png");
  const Image img = LoadPng(TempDir() / "bars.png");
  EXPECT_GT(Count(img, tab10(0)), 1000u);
  EXPECT_GT(Count(img, tab10(1)), 1000u);
}
