// actlab plotting: small line / bar / scatter charts drawn with cairo, written
// as PNG, SVG or PDF. Looks follow matplotlib's defaults (tab10 colours,
// DejaVu Sans, white background, light grid, legend box) so figures from the
// CLI and from training reports read like the ones people already know.
//
// A Figure is a grid of Panels; a Panel holds Series sharing one pair of axes.
// Coordinates are data units; layout (margins, tick labels, legend) is
// computed from the text actually drawn, so nothing overlaps or is clipped.
// Non-finite points are skipped and break the line; constant data and huge
// ranges still get sensible axes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace actlab::plot {

enum class Kind {
  kLine,     // polyline through (x[i], y[i])
  kBars,     // one bar per point from 0 (or the bottom of a log axis) to y[i];
             // several bar series in a panel are grouped side by side
  kScatter,  // a dot per point
};

struct Series {
  std::string label;  // empty: not listed in the legend
  std::vector<double> x, y;
  Kind kind = Kind::kLine;
  int colour = -1;  // index into tab10 (mod 10); -1: the next unused in the panel
  bool dashed = false;
};

enum class Legend { kBest, kUpperLeft, kUpperRight, kLowerLeft, kLowerRight, kNone };

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  Legend legend = Legend::kBest;  // kBest: the corner covering fewest points
  std::optional<double> ymin, ymax;  // fixed y limits (else from the data)
  bool log_y = false;                // values <= 0 are skipped
  // For bar charts: label of category i, drawn under x = i (replaces numeric
  // x ticks).
  std::vector<std::string> categories;
  bool bar_values = false;  // print each bar's value (3 significant digits) at its end
};

struct Figure {
  std::string title;  // above all panels (optional)
  std::vector<Panel> panels;
  int columns = 0;  // panels per row; 0: ceil(sqrt(panels))
  // Size in pixels (PNG) or points (SVG, PDF); 0: 480 x 360 per panel.
  int width = 0, height = 0;
};

// The tab10 palette as 0xRRGGBB, the colour of Series::colour i.
unsigned tab10(int index);

// "Nice numbers" ticks (Heckbert, Graphics Gems 1990): about `target` values
// spaced 1, 2 or 5 times a power of ten, the first <= lo and the last >= hi.
// lo == hi is widened around the value. Throws Error on non-finite input.
// Near +-DBL_MAX, ticks that would overflow are left out.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
// A tick label without noise: the fewest digits that tell ticks `step` apart
// (0.5, not 0.500000; 1e+06 spans become 1e6, 2e6); -0 prints as 0.
std::string format_tick(double value, double step);

// Writes the figure; the format comes from the extension (.png, .svg, .pdf,
// case-insensitive). Written to a temporary file in the same folder and
// renamed, so PATH is never left half-written. Throws Error
// "PATH: PROBLEM; FIX" for an unknown extension or an unwritable path, and
// for a figure without panels.
void save(const Figure& figure, const std::string& path);
// The format save() writes PATH in: "png", "svg" or "pdf" (the extension,
// lower-cased). Throws the same Error as save() for any other.
std::string format_of(const std::string& path);
// The figure as an SVG document (e.g. to embed in an HTML report).
std::string render_svg(const Figure& figure);
// {width, height} that save() and render_svg() give the figure: pixels for
// PNG, points for SVG and PDF (Figure::width/height, else 480 x 360 per panel).
std::pair<int, int> size(const Figure& figure);

// Frees cairo's and fontconfig's process-wide font caches, which otherwise
// live until exit (and leak checkers report them). Call it at the end of a
// program, when nothing else uses cairo or fontconfig; drawing again after it
// works but reloads the fonts.
void release_caches();

}  // namespace actlab::plot
