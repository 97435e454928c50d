// Figures drawn with cairo. One drawing routine serves every surface (image
// for PNG, SVG, PDF); sizes are in pixels for PNG and points for the vector
// formats. Layout is measured from the text the fonts actually produce.
#include "actlab/plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fcntl.h>
#include <fontconfig/fontconfig.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "actlab/activation.h"

namespace actlab::plot {
namespace {

constexpr std::array<unsigned, 10> kTab10 = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                             0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
constexpr int kMaxSide = 16384;  // cairo image surfaces stop at 32767; a sane cap

// Font sizes (px) close to matplotlib's 10 pt ticks/labels and 12 pt titles at
// its default 100 dpi, scaled down a little because panels are smaller.
constexpr double kTickFont = 12, kLabelFont = 13, kTitleFont = 14, kFigTitleFont = 16;
constexpr double kTickLen = 4, kPad = 8;

void SetRgb(cairo_t* cr, unsigned rgb, double alpha = 1) {
  cairo_set_source_rgba(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0, (rgb & 255) / 255.0,
                        alpha);
}

void Font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double TextWidth(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Height of a line of text in the current font (ascent + descent), so labels
// align the same whatever letters they hold.
double LineHeight(cairo_t* cr) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  return fe.ascent + fe.descent;
}

// Draws s with (x, y) at the point given by ha (0 left, 0.5 centre, 1 right)
// and va (0 top, 0.5 middle, 1 bottom of the line box), rotated by `angle`
// radians about that point.
void Text(cairo_t* cr, const std::string& s, double x, double y, double ha, double va, double angle = 0) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double w = TextWidth(cr, s);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, -ha * w, -va * (fe.ascent + fe.descent) + fe.ascent);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

// format_tick with the notation chosen by the caller: sci 1 scientific, 0
// fixed, -1 by the value (an axis passes one choice for all its labels, so
// 500000 never sits next to 1e6).
std::string Tick(double value, double step, int sci) {
  step = std::fabs(step);
  if (!std::isfinite(value)) return value != value ? "nan" : value > 0 ? "inf" : "-inf";
  if (!(step > 0) || !std::isfinite(step)) step = std::fabs(value) > 0 ? std::fabs(value) : 1;
  if (std::fabs(value) < step * 1e-9) return "0";
  // Decimals that tell multiples of `step` apart: the fewest d with
  // step * 10^d an integer (to 1e-6 relative).
  const auto decimals = [](double s) {
    for (int d = 0; d < 15; ++d) {
      const double m = s * std::pow(10.0, d);
      if (std::fabs(m - std::round(m)) <= 1e-6 * m) return d;
    }
    return 15;
  };
  const int em = int(std::floor(std::log10(std::max(std::fabs(value), step))));
  char buf[64];
  if (sci == 1 || (sci < 0 && (em >= 6 || step < 1e-4))) {
    // Scientific: mantissa digits enough for the step at this exponent.
    const int d = decimals(step / std::pow(10.0, em));
    std::snprintf(buf, sizeof buf, "%.*e", d, value);
    std::string s = buf;
    const auto e = s.find('e');
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    // Each label has its own exponent, so trailing zeros tell nothing.
    if (mant.find('.') != std::string::npos) {
      while (mant.back() == '0') mant.pop_back();
      if (mant.back() == '.') mant.pop_back();
    }
    const bool neg = exp[0] == '-';
    size_t k = (exp[0] == '+' || exp[0] == '-') ? 1 : 0;
    while (k + 1 < exp.size() && exp[k] == '0') ++k;
    return mant + "e" + (neg ? "-" : "") + exp.substr(k);
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals(step), value);
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// Tick labels are drawn with a true minus sign (U+2212), as matplotlib does:
// the hyphen is too short to read as one.
std::string Minus(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\u2212") : std::string(1, c);
  return out;
}

double NiceNum(double x, bool round) {
  const double e = std::floor(std::log10(x));
  const double p = std::pow(10.0, e);
  const double f = x / p;
  double nf;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * p;
}

// Interval [lo, hi] of one axis, and how data values map onto it.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;       // in data units
  std::vector<std::string> labels;  // one per tick
  // t in [0, 1] across the view; clamped to +-1e6 views so far-away points
  // stay finite (the clipped segment then differs from the true one by less
  // than 1e-6 of a pixel per pixel of run).
  double Frac(double v) const {
    if (log) v = std::log10(v);
    const double t = (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5);  // halves: no overflow
    return std::clamp(t, -1e6, 1e6);
  }
};

bool Usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// Extends [lo, hi] to a non-empty interval around constant or tiny data.
void Widen(double& lo, double& hi) {
  const double mag = std::max(std::fabs(lo), std::fabs(hi));
  if (hi - lo > mag * 1e-12 && hi - lo > 1e-290) return;
  const double pad = mag > 1e-290 ? mag * 0.05 : 1;
  lo -= pad;
  hi += pad;
}

// Linear axis with margins `margin` (fraction of the span) on the free ends.
// integer: the data are whole numbers (epochs, depths): only whole ticks.
void LinearAxis(Axis& a, double lo, double hi, bool fix_lo, bool fix_hi, double margin, int target,
                bool integer = false) {
  Widen(lo, hi);
  const double span = hi * 0.5 - lo * 0.5;  // half the span, cannot overflow
  a.lo = fix_lo ? lo : std::max(lo - 2 * span * margin, -1.7976931348623157e308);
  a.hi = fix_hi ? hi : std::min(hi + 2 * span * margin, 1.7976931348623157e308);
  if (!std::isfinite(a.lo)) a.lo = lo;
  if (!std::isfinite(a.hi)) a.hi = hi;
  const double tol = (a.hi * 0.5 - a.lo * 0.5) * 2e-9;
  // nice_ticks covers the view from outside, so as few as one tick may fall
  // inside (step 2 over [-1.1, 1.1]): ask for more until enough do.
  const size_t want = size_t(std::min(target, 3));
  for (int t = target; t < target + 12; ++t) {
    std::vector<double> all = nice_ticks(a.lo, a.hi, t);
    double step = all.size() > 2 ? all[2] - all[1] : 1;
    if (!std::isfinite(step)) step = all.size() > 2 ? std::fabs(all[2]) : 1;
    if (integer && step < 1) {
      // Epoch 1.5 does not exist: whole ticks, labelled without decimals.
      std::erase_if(all, [](double v) { return v != std::round(v); });
      step = 1;
    }
    a.ticks.clear();
    a.labels.clear();
    int sci = 0;
    for (double v : all)
      if (v >= a.lo - tol && v <= a.hi + tol) {
        a.ticks.push_back(v);
        if (Tick(v, step, -1).find('e') != std::string::npos) sci = 1;
      }
    for (double v : a.ticks) a.labels.push_back(Minus(Tick(v, step, sci)));
    if (a.ticks.size() >= want) break;
  }
}

// Log axis in decades: lo, hi are log10 of the data. Ticks at powers of ten,
// every 1, 2, 5... decades so that about `target` show.
void LogAxis(Axis& a, double lo, double hi, bool fix_lo, bool fix_hi, int target) {
  a.log = true;
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  a.lo = fix_lo ? lo : lo - (hi - lo) * 0.05;
  a.hi = fix_hi ? hi : hi + (hi - lo) * 0.05;
  // Less than a decade in view: show the enclosing powers too.
  if (std::floor(a.hi) - std::ceil(a.lo) < 1) {
    if (!fix_lo) a.lo = std::floor(a.lo);
    if (!fix_hi) a.hi = std::ceil(a.hi);
  }
  const double every = std::max(1.0, NiceNum(std::max(1.0, (a.hi - a.lo) / std::max(target - 1, 1)), true));
  a.ticks.clear();
  a.labels.clear();
  for (double k = std::ceil(a.lo / every) * every; k <= a.hi + 1e-9; k += every) {
    const double v = std::pow(10.0, k);
    a.ticks.push_back(v);
    char buf[32];
    if (k >= -4 && k <= 5) std::snprintf(buf, sizeof buf, "%.*f", k < 0 ? int(-k) : 0, v);
    else std::snprintf(buf, sizeof buf, "1e%d", int(k));
    a.labels.push_back(Minus(buf));
  }
}

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

// Liang-Barsky: clips segment (x0,y0)-(x1,y1) to r; false when it misses.
bool ClipSegment(const Rect& r, double& x0, double& y0, double& x1, double& y1) {
  const double dx = x1 - x0, dy = y1 - y0;
  double t0 = 0, t1 = 1;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - r.x, r.x + r.w - x0, y0 - r.y, r.y + r.h - y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const double ax = x0 + t0 * dx, ay = y0 + t0 * dy;
  x1 = x0 + t1 * dx;
  y1 = y0 + t1 * dy;
  x0 = ax;
  y0 = ay;
  return true;
}

// A series with its points resolved (x filled in, colour chosen).
struct Resolved {
  const Series* s;
  std::vector<double> x;
  unsigned rgb;
};

std::vector<Resolved> Resolve(const Panel& p) {
  std::vector<Resolved> out;
  std::vector<bool> taken(10, false);
  for (const Series& s : p.series)
    if (s.colour >= 0) taken[s.colour % 10] = true;
  int next = 0;
  for (const Series& s : p.series) {
    if (!s.x.empty() && s.x.size() != s.y.size())
      throw Error("plot series '" + s.label + "': x has " + std::to_string(s.x.size()) + " values, y has " +
                  std::to_string(s.y.size()) + "; give one y per x (or no x: 0, 1, 2, ...)");
    Resolved r{&s, s.x, 0};
    if (r.x.empty())
      for (size_t i = 0; i < s.y.size(); ++i) r.x.push_back(double(i));
    int c = s.colour;
    if (c < 0) {
      int tries = 0;
      while (taken[next % 10] && tries++ < 10) ++next;
      c = next++;
    }
    r.rgb = kTab10[c % 10];
    out.push_back(std::move(r));
  }
  return out;
}

void DrawPanel(cairo_t* cr, const Panel& p, const Rect& cell) {
  const std::vector<Resolved> series = Resolve(p);
  size_t nbars = 0;
  for (const auto& r : series) nbars += r.s->kind == Kind::kBars;
  const double group = 0.8;  // bar group width in x units (matplotlib's default bar width)
  const double bar_w = nbars ? group / double(nbars) : 0;

  // ---- data limits
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& r : series)
    for (size_t i = 0; i < r.x.size(); ++i) {
      if (!std::isfinite(r.x[i]) || !Usable(r.s->y[i], p.log_y)) continue;
      const double half = r.s->kind == Kind::kBars ? group / 2 : 0;
      xlo = std::min(xlo, r.x[i] - half);
      xhi = std::max(xhi, r.x[i] + half);
      const double y = p.log_y ? std::log10(r.s->y[i]) : r.s->y[i];
      ylo = std::min(ylo, y);
      yhi = std::max(yhi, y);
    }
  const bool any = xlo <= xhi;
  if (!any) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  if (!p.categories.empty()) {
    xlo = std::min(xlo, -group / 2);
    xhi = std::max(xhi, double(p.categories.size()) - 1 + group / 2);
  }
  // Bars stand on y = 0: keep it in view and put no margin below it.
  bool stick_lo = false, stick_hi = false;
  if (nbars && !p.log_y && any) {
    if (ylo >= 0) ylo = 0, stick_lo = true;
    if (yhi <= 0) yhi = 0, stick_hi = true;
  }
  const auto fixed = [&](const std::optional<double>& v) {
    return v && std::isfinite(*v) && (!p.log_y || *v > 0);
  };
  const bool fix_lo = fixed(p.ymin), fix_hi = fixed(p.ymax);
  if (fix_lo) ylo = p.log_y ? std::log10(*p.ymin) : *p.ymin;
  if (fix_hi) yhi = p.log_y ? std::log10(*p.ymax) : *p.ymax;
  if (ylo > yhi) std::swap(ylo, yhi);

  // ---- y axis first: its tick labels set the left margin.
  Font(cr, kTitleFont);
  const double title_h = p.title.empty() ? 0 : LineHeight(cr) + 6;
  Font(cr, kLabelFont);
  const double label_h = LineHeight(cr);
  Font(cr, kTickFont);
  const double tick_h = LineHeight(cr);
  const double top = kPad + title_h + tick_h / 2;
  double bottom = kPad + kTickLen + 3 + tick_h + (p.xlabel.empty() ? 0 : label_h + 4);
  Axis ya;
  const double plot_h_guess = std::max(20.0, cell.h - top - bottom);
  const int ytarget = std::clamp(int(plot_h_guess / 45), 2, 9);
  if (p.log_y) LogAxis(ya, ylo, yhi, fix_lo, fix_hi, ytarget);
  else LinearAxis(ya, ylo, yhi, fix_lo || stick_lo, fix_hi || stick_hi, nbars && p.bar_values ? 0.12 : 0.05,
                  ytarget);
  double ylab_w = 0;
  for (const auto& l : ya.labels) ylab_w = std::max(ylab_w, TextWidth(cr, l));
  const double left = kPad + (p.ylabel.empty() ? 0 : label_h + 6) + ylab_w + kTickLen + 4;

  bool integer_x = true;
  for (const auto& r : series)
    for (double x : r.x)
      if (std::isfinite(x) && (x != std::round(x) || std::fabs(x) > 1e15)) integer_x = false;
  // ---- x axis: as many ticks as fit without their labels touching.
  const double right_guess = kPad + 12;
  const double plot_w_guess = std::max(20.0, cell.w - left - right_guess);
  Axis xa;
  bool rotate = false;
  if (!p.categories.empty()) {
    xa.lo = xlo - (xhi - xlo) * 0.02;
    xa.hi = xhi + (xhi - xlo) * 0.02;
    double widest = 0;
    for (size_t i = 0; i < p.categories.size(); ++i) {
      xa.ticks.push_back(double(i));
      xa.labels.push_back(p.categories[i]);
      widest = std::max(widest, TextWidth(cr, p.categories[i]));
    }
    const double spacing = plot_w_guess / std::max(1.0, xa.hi - xa.lo);
    rotate = widest + 6 > spacing;
    if (rotate) bottom += widest * 0.71 - tick_h * 0.3;
  } else {
    for (int target = std::clamp(int(plot_w_guess / 60), 2, 11);; --target) {
      LinearAxis(xa, xlo, xhi, false, false, 0.05, target, integer_x);
      double widest = 0;
      for (const auto& l : xa.labels) widest = std::max(widest, TextWidth(cr, l));
      const double spacing = xa.ticks.size() > 1 ? plot_w_guess * (xa.ticks[1] - xa.ticks[0]) / (xa.hi - xa.lo)
                                                 : plot_w_guess;
      if (widest + 10 <= spacing || target <= 2) break;
    }
  }
  double right = right_guess;
  if (!xa.labels.empty() && !rotate) right = std::max(right, TextWidth(cr, xa.labels.back()) / 2 + 4);
  const Rect plot{cell.x + left, cell.y + top, cell.w - left - right, cell.h - top - bottom};
  if (plot.w < 8 || plot.h < 8) return;  // too small to draw anything legible
  const auto px = [&](double x) { return plot.x + xa.Frac(x) * plot.w; };
  const auto py = [&](double y) { return plot.y + plot.h - ya.Frac(y) * plot.h; };

  // ---- grid, below the data
  cairo_set_line_width(cr, 0.8);
  SetRgb(cr, 0xb0b0b0, 0.45);
  for (double v : xa.ticks) {
    const double x = std::round(px(v)) + 0.5;
    cairo_move_to(cr, x, plot.y);
    cairo_line_to(cr, x, plot.y + plot.h);
  }
  for (double v : ya.ticks) {
    const double y = std::round(py(v)) + 0.5;
    cairo_move_to(cr, plot.x, y);
    cairo_line_to(cr, plot.x + plot.w, y);
  }
  cairo_stroke(cr);

  // ---- data, clipped to the plot area
  cairo_save(cr);
  cairo_rectangle(cr, plot.x, plot.y, plot.w, plot.h);
  cairo_clip(cr);
  // Segments are clipped in double precision first: cairo's fixed-point
  // coordinates wrap beyond ~8 million pixels.
  const Rect guard{plot.x - 10, plot.y - 10, plot.w + 20, plot.h + 20};
  size_t bar_index = 0;
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  for (const auto& r : series) {
    const Series& s = *r.s;
    SetRgb(cr, r.rgb);
    if (s.kind == Kind::kBars) {
      const double off = -group / 2 + bar_w * (double(bar_index++) + 0.5);
      const double base = p.log_y ? ya.lo : 0;
      for (size_t i = 0; i < r.x.size(); ++i) {
        if (!std::isfinite(r.x[i]) || !Usable(s.y[i], p.log_y)) continue;
        const double x0 = px(r.x[i] + off - bar_w / 2), x1 = px(r.x[i] + off + bar_w / 2);
        const double yb = p.log_y ? plot.y + plot.h : std::clamp(py(base), guard.y, guard.y + guard.h);
        const double yt = std::clamp(py(s.y[i]), guard.y, guard.y + guard.h);
        cairo_rectangle(cr, x0, std::min(yb, yt), x1 - x0, std::fabs(yb - yt));
      }
      cairo_fill(cr);
    } else if (s.kind == Kind::kScatter) {
      for (size_t i = 0; i < r.x.size(); ++i) {
        if (!std::isfinite(r.x[i]) || !Usable(s.y[i], p.log_y)) continue;
        const double x = px(r.x[i]), y = py(s.y[i]);
        if (x < guard.x || x > guard.x + guard.w || y < guard.y || y > guard.y + guard.h) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, 3, 0, 2 * M_PI);
      }
      cairo_fill(cr);
    } else {
      cairo_set_line_width(cr, 2);
      if (s.dashed) {
        const double dash[2] = {7.4, 3.2};  // matplotlib's "--" at this width
        cairo_set_dash(cr, dash, 2, 0);
      }
      bool have_prev = false, pen_at_prev = false;
      double prev_x = 0, prev_y = 0, pen_x = 0, pen_y = 0;
      for (size_t i = 0; i < r.x.size(); ++i) {
        if (!std::isfinite(r.x[i]) || !Usable(s.y[i], p.log_y)) {
          have_prev = pen_at_prev = false;  // a gap breaks the line
          continue;
        }
        const double x = px(r.x[i]), y = py(s.y[i]);
        if (have_prev) {
          double ax = prev_x, ay = prev_y, bx = x, by = y;
          if (ClipSegment(guard, ax, ay, bx, by)) {
            if (!pen_at_prev || ax != pen_x || ay != pen_y) cairo_move_to(cr, ax, ay);
            cairo_line_to(cr, bx, by);
            pen_x = bx, pen_y = by;
            pen_at_prev = bx == x && by == y;
          } else {
            pen_at_prev = false;
          }
        } else if (r.x.size() == 1 || ((i + 1 >= r.x.size() || !Usable(s.y[i + 1], p.log_y)) &&
                                        (i == 0 || !Usable(s.y[i - 1], p.log_y)))) {
          // An isolated point would be invisible as a line: mark it.
          if (x >= guard.x && x <= guard.x + guard.w && y >= guard.y && y <= guard.y + guard.h) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, 1.5, 0, 2 * M_PI);
            cairo_fill(cr);
          }
        }
        prev_x = x, prev_y = y, have_prev = true;
        if (!pen_at_prev) pen_x = x, pen_y = y;
      }
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
  }
  cairo_restore(cr);
  if (p.bar_values) {
    Font(cr, kTickFont - 1);
    SetRgb(cr, 0x000000);
    bar_index = 0;
    for (const auto& r : series) {
      if (r.s->kind != Kind::kBars) continue;
      const double off = -group / 2 + bar_w * (double(bar_index++) + 0.5);
      for (size_t i = 0; i < r.x.size(); ++i) {
        if (!std::isfinite(r.x[i]) || !Usable(r.s->y[i], p.log_y)) continue;
        const double x = px(r.x[i] + off), y = py(r.s->y[i]);
        if (x < plot.x || x > plot.x + plot.w || y < plot.y || y > plot.y + plot.h) continue;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3g", r.s->y[i]);
        const bool below = r.s->y[i] < 0 && !p.log_y;
        Text(cr, Minus(buf), x, below ? y + 2 : y - 2, 0.5, below ? 0 : 1);
      }
    }
  }

  // ---- frame, ticks, tick labels
  cairo_set_line_width(cr, 0.8);
  SetRgb(cr, 0x000000);
  cairo_rectangle(cr, std::round(plot.x) + 0.5, std::round(plot.y) + 0.5, std::round(plot.w),
                  std::round(plot.h));
  for (double v : xa.ticks) {
    const double x = std::round(px(v)) + 0.5;
    cairo_move_to(cr, x, plot.y + plot.h);
    cairo_line_to(cr, x, plot.y + plot.h + kTickLen);
  }
  for (double v : ya.ticks) {
    const double y = std::round(py(v)) + 0.5;
    cairo_move_to(cr, plot.x, y);
    cairo_line_to(cr, plot.x - kTickLen, y);
  }
  cairo_stroke(cr);
  Font(cr, kTickFont);
  for (size_t i = 0; i < xa.ticks.size(); ++i) {
    if (rotate) Text(cr, xa.labels[i], px(xa.ticks[i]), plot.y + plot.h + kTickLen + 3, 1, 0.5, -M_PI / 4);
    else Text(cr, xa.labels[i], px(xa.ticks[i]), plot.y + plot.h + kTickLen + 3, 0.5, 0);
  }
  for (size_t i = 0; i < ya.ticks.size(); ++i)
    Text(cr, ya.labels[i], plot.x - kTickLen - 3, py(ya.ticks[i]), 1, 0.5);

  // ---- axis labels and title
  Font(cr, kLabelFont);
  if (!p.xlabel.empty()) Text(cr, p.xlabel, plot.x + plot.w / 2, cell.y + cell.h - kPad, 0.5, 1);
  if (!p.ylabel.empty()) Text(cr, p.ylabel, cell.x + kPad, plot.y + plot.h / 2, 0.5, 0, -M_PI / 2);
  if (!p.title.empty()) {
    Font(cr, kTitleFont);
    Text(cr, p.title, plot.x + plot.w / 2, cell.y + kPad, 0.5, 0);
  }

  // ---- legend
  if (p.legend == Legend::kNone) return;
  std::vector<const Resolved*> entries;
  for (const auto& r : series)
    if (!r.s->label.empty()) entries.push_back(&r);
  if (entries.empty()) return;
  Font(cr, kTickFont);
  const double row = tick_h + 4, sample = 24;
  double text_w = 0;
  for (const auto* e : entries) text_w = std::max(text_w, TextWidth(cr, e->s->label));
  const double inset = 8;
  // Entries fill columns top to bottom; a legend wider than the plot is left
  // out rather than drawn over everything.
  const size_t per_col = std::max<size_t>(1, size_t((plot.h - 2 * inset - 8) / row));
  const size_t ncols = (entries.size() + per_col - 1) / per_col;
  const double col_w = 8 + sample + 8 + text_w;
  const double box_w = double(ncols) * col_w + 8, box_h = 6 + row * double(std::min(per_col, entries.size())) + 2;
  if (box_w > plot.w - 2 * inset) return;
  const Rect corners[4] = {
      {plot.x + plot.w - inset - box_w, plot.y + inset, box_w, box_h},             // upper right
      {plot.x + inset, plot.y + inset, box_w, box_h},                              // upper left
      {plot.x + inset, plot.y + plot.h - inset - box_h, box_w, box_h},             // lower left
      {plot.x + plot.w - inset - box_w, plot.y + plot.h - inset - box_h, box_w, box_h},  // lower right
  };
  int pick = 0;
  switch (p.legend) {
    case Legend::kUpperRight: pick = 0; break;
    case Legend::kUpperLeft: pick = 1; break;
    case Legend::kLowerLeft: pick = 2; break;
    case Legend::kLowerRight: pick = 3; break;
    default: {
      // The corner covering the fewest drawn points (bars count by their top).
      size_t best = SIZE_MAX;
      for (int c = 0; c < 4; ++c) {
        size_t hits = 0;
        for (const auto& r : series)
          for (size_t i = 0; i < r.x.size(); ++i) {
            if (!std::isfinite(r.x[i]) || !Usable(r.s->y[i], p.log_y)) continue;
            const double x = px(r.x[i]), y = py(r.s->y[i]);
            const Rect& b = corners[c];
            bool in = x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;
            if (r.s->kind == Kind::kBars) in = x >= b.x && x <= b.x + b.w && std::max(y, py(0)) >= b.y &&
                                                std::min(y, py(0)) <= b.y + b.h;
            hits += in;
          }
        if (hits < best) best = hits, pick = c;
      }
    }
  }
  const Rect& b = corners[pick];
  const double rad = 3;
  cairo_new_sub_path(cr);
  cairo_arc(cr, b.x + b.w - rad, b.y + rad, rad, -M_PI / 2, 0);
  cairo_arc(cr, b.x + b.w - rad, b.y + b.h - rad, rad, 0, M_PI / 2);
  cairo_arc(cr, b.x + rad, b.y + b.h - rad, rad, M_PI / 2, M_PI);
  cairo_arc(cr, b.x + rad, b.y + rad, rad, M_PI, 3 * M_PI / 2);
  cairo_close_path(cr);
  SetRgb(cr, 0xffffff, 0.8);
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, 0.8);
  SetRgb(cr, 0xcccccc);
  cairo_stroke(cr);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Resolved& e = *entries[i];
    const double cy = b.y + 6 + row * (double(i % per_col) + 0.5);
    const double bx = b.x + col_w * double(i / per_col);
    SetRgb(cr, e.rgb);
    if (e.s->kind == Kind::kBars) {
      cairo_rectangle(cr, bx + 8 + 4, cy - 5, sample - 8, 10);
      cairo_fill(cr);
    } else if (e.s->kind == Kind::kScatter) {
      cairo_arc(cr, bx + 8 + sample / 2, cy, 3, 0, 2 * M_PI);
      cairo_fill(cr);
    } else {
      cairo_set_line_width(cr, 2);
      if (e.s->dashed) {
        const double dash[2] = {7.4, 3.2};
        cairo_set_dash(cr, dash, 2, 0);
      }
      cairo_move_to(cr, bx + 8, cy);
      cairo_line_to(cr, bx + 8 + sample, cy);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
    SetRgb(cr, 0x000000);
    Text(cr, e.s->label, bx + 8 + sample + 8, cy, 0, 0.5);
  }
}

void Size(const Figure& f, int& w, int& h, int& cols, int& rows) {
  const int n = int(f.panels.size());
  // Up to three panels side by side; more in a near-square grid.
  cols = f.columns > 0 ? std::min(f.columns, n) : n <= 3 ? n : int(std::ceil(std::sqrt(double(n)) - 1e-9));
  cols = std::max(cols, 1);
  rows = (n + cols - 1) / cols;
  w = f.width > 0 ? f.width : 480 * cols;
  h = f.height > 0 ? f.height : 360 * rows + (f.title.empty() ? 0 : 30);
}

void Draw(cairo_t* cr, const Figure& f, int w, int h, int cols, int rows) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  double top = 0;
  if (!f.title.empty()) {
    Font(cr, kFigTitleFont, true);
    SetRgb(cr, 0x000000);
    top = kPad + LineHeight(cr);
    Text(cr, f.title, w / 2.0, kPad, 0.5, 0);
  }
  const double cw = double(w) / cols, ch = (h - top) / rows;
  for (size_t i = 0; i < f.panels.size(); ++i) {
    const int r = int(i) / cols, c = int(i) % cols;
    SetRgb(cr, 0x000000);
    DrawPanel(cr, f.panels[i], Rect{c * cw, top + r * ch, cw, ch});
  }
}

void Check(const Figure& f, const std::string& what) {
  if (f.panels.empty()) throw Error(what + ": the figure has no panels; add at least one Panel");
  if (f.width < 0 || f.width > kMaxSide || f.height < 0 || f.height > kMaxSide || (f.width && f.width < 50) ||
      (f.height && f.height < 50))
    throw Error(what + ": size " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                " is out of range; use 50 to " + std::to_string(kMaxSide) + " (or 0 for the default)");
  for (const Panel& p : f.panels) (void)Resolve(p);  // size mismatches, before any file is touched
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

cairo_status_t WriteToFile(void* closure, const unsigned char* data, unsigned int length) {
  return std::fwrite(data, 1, length, static_cast<FILE*>(closure)) == length ? CAIRO_STATUS_SUCCESS
                                                                            : CAIRO_STATUS_WRITE_ERROR;
}

enum class Format { kPng, kSvg, kPdf };

// Renders to `write(closure, ...)`; returns cairo's status.
cairo_status_t Render(const Figure& f, Format fmt, cairo_write_func_t write, void* closure) {
  int w, h, cols, rows;
  Size(f, w, h, cols, rows);
  cairo_surface_t* surface = nullptr;
  switch (fmt) {
    case Format::kPng: surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h); break;
    case Format::kSvg: surface = cairo_svg_surface_create_for_stream(write, closure, w, h); break;
    case Format::kPdf: surface = cairo_pdf_surface_create_for_stream(write, closure, w, h); break;
  }
  cairo_t* cr = cairo_create(surface);
  Draw(cr, f, w, h, cols, rows);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (status == CAIRO_STATUS_SUCCESS && fmt == Format::kPng)
    status = cairo_surface_write_to_png_stream(surface, write, closure);
  cairo_surface_finish(surface);
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  return status;
}

}  // namespace

unsigned tab10(int index) { return kTab10[((index % 10) + 10) % 10]; }

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw Error("nice_ticks: the interval [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "] is not finite; pass finite bounds");
  if (lo > hi) std::swap(lo, hi);
  target = std::clamp(target, 2, 100);
  Widen(lo, hi);
  // Spans beyond DBL_MAX: work a decade down, which keeps 1-2-5 steps.
  double scale = 1;
  if (!std::isfinite(hi - lo)) scale = 10, lo /= 10, hi /= 10;
  const double range = NiceNum(hi - lo, false);
  double step = NiceNum(range / (target - 1), true);
  // Outer ticks past DBL_MAX: a smaller 1-2-5 step (5 -> 2 -> 1 -> 0.5) may
  // end them within range. When the data reach DBL_MAX itself none can (the
  // next multiple overflows): then the overflowing ticks are dropped, from the
  // first step that still leaves three.
  std::vector<std::vector<double>> tries;
  for (int shrink = 0; shrink < 4; ++shrink) {
    const double first = std::floor(lo / step), last = std::ceil(hi / step);
    std::vector<double> ticks;
    for (double k = first; k <= last + 0.5; k += 1) {
      double v = k * step * scale;
      if (std::fabs(v) < step * scale * 1e-9) v = 0;  // 3 * 0.1 - 0.3 noise never shows as -0
      ticks.push_back(v);
    }
    if (std::isfinite(ticks.front()) && std::isfinite(ticks.back())) return ticks;
    std::erase_if(ticks, [](double v) { return !std::isfinite(v); });
    tries.push_back(std::move(ticks));
    const double p = std::pow(10.0, std::floor(std::log10(step)));
    const double m = std::round(step / p);
    step = m == 5 ? 2 * p : m == 2 ? p : p / 2;
  }
  for (const auto& t : tries)
    if (t.size() >= 3) return t;
  return tries.back();
}

std::string format_tick(double value, double step) { return Tick(value, step, -1); }

std::pair<int, int> size(const Figure& figure) {
  int w, h, cols, rows;
  Size(figure, w, h, cols, rows);
  return {w, h};
}

std::string render_svg(const Figure& figure) {
  Check(figure, "render_svg");
  std::string out;
  const cairo_status_t st = Render(figure, Format::kSvg, AppendToString, &out);
  if (st != CAIRO_STATUS_SUCCESS)
    throw Error(std::string("render_svg: cairo failed (") + cairo_status_to_string(st) + "); report this as a bug");
  return out;
}

std::string format_of(const std::string& path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  std::string ext = dot == std::string::npos || (slash != std::string::npos && dot < slash) ? "" : path.substr(dot);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".png" && ext != ".svg" && ext != ".pdf")
    throw Error(path + ": unknown image format '" + (ext.empty() ? std::string("(no extension)") : ext) +
                "'; name the file .png, .svg or .pdf");
  return ext.substr(1);
}

void save(const Figure& figure, const std::string& path) {
  const std::string ext = format_of(path);
  const Format fmt = ext == "png" ? Format::kPng : ext == "svg" ? Format::kSvg : Format::kPdf;
  Check(figure, path);

  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = mkstemps(tmp.data(), 0);
  if (fd < 0)
    throw Error(path + ": cannot write there (" + std::strerror(errno) +
                "); choose a path in an existing, writable folder");
  fchmod(fd, 0644);  // mkstemp makes 0600; an image is for others to read
  FILE* file = fdopen(fd, "wb");
  if (!file) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    throw Error(path + ": cannot write there (" + std::strerror(err) + "); choose another path");
  }
  cairo_status_t st = Render(figure, fmt, WriteToFile, file);
  const bool flushed = std::fflush(file) == 0 && fsync(fileno(file)) == 0;
  const int err = errno;
  const bool closed = std::fclose(file) == 0;
  if (st != CAIRO_STATUS_SUCCESS || !flushed || !closed) {
    unlink(tmp.c_str());
    throw Error(path + ": writing failed (" +
                (st != CAIRO_STATUS_SUCCESS ? std::string(cairo_status_to_string(st)) : std::strerror(err)) +
                "); check the disk has space and the folder is writable");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rerr = errno;
    unlink(tmp.c_str());
    throw Error(path + ": cannot replace it (" + std::strerror(rerr) + "); choose another path");
  }
}

void release_caches() {
  cairo_debug_reset_static_data();
  FcFini();
}

}  // namespace actlab::plot
