// actlab command-line tool. Every subcommand reads the activation table
// through the public API; errors are one line on stderr and exit code 2.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "actlab/activation.h"
#include "tools/bench_cmd.h"
#include "tools/compare_cmd.h"
#include "tools/diagnose_cmd.h"
#include "tools/plot_cmd.h"
#include "tools/recommend_cmd.h"
#include "tools/report_cmd.h"
#include "tools/train_cmd.h"
#include "src/nn/blas.h"

namespace {

// libgomp spins 300,000 rounds (about 0.1-0.3 ms) before a waiting thread
// sleeps. On a quiet machine the spin saves the wake-up between the many
// short parallel regions of a training step; on a shared one the spinning
// workers take the cores the working ones need. Measured on this 2-core
// machine with two other busy processes: the default network trained at 22 s
// per epoch with the default spin and 0.94 s with 10,000 rounds, while both
// take 0.43-0.47 s when the machine is quiet. libgomp reads the count once,
// while it is loaded, before main() and before libc has even set up environ
// for a .preinit_array function to change it; so the CLI sets
// GOMP_SPINCOUNT=10000 and runs itself again (a few ms), unless the user chose
// a wait policy. If the exec fails the program goes on with the default.
void ChooseOpenMpSpin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  if (setenv("GOMP_SPINCOUNT", "10000", 1) != 0 || setenv("ACTLAB_SET_GOMP_SPINCOUNT", "1", 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("GOMP_SPINCOUNT");  // still the first process: say so in `actlab info`
  unsetenv("ACTLAB_SET_GOMP_SPINCOUNT");
}

constexpr int kUsageError = 2;

// A failure the user can fix: printed as one line, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string PropertiesText(const actlab::Spec& s) {
  std::vector<std::string> parts;
  parts.push_back(s.has(actlab::kMonotonic) ? "monotonic" : "non-monotonic");
  parts.push_back(s.has(actlab::kSmooth) ? "smooth" : "non-smooth");
  parts.push_back(s.has(actlab::kZeroCentred) ? "zero-centred" : "not zero-centred");
  const bool lo = s.has(actlab::kBoundedBelow), hi = s.has(actlab::kBoundedAbove);
  parts.push_back(lo && hi ? "bounded" : lo ? "bounded below" : hi ? "bounded above" : "unbounded");
  return fmt::format("{}", fmt::join(parts, ", "));
}

const char* ShapeName(actlab::Shape shape) {
  switch (shape) {
    case actlab::Shape::kElementwise: return "elementwise";
    case actlab::Shape::kGlu: return "glu";
    case actlab::Shape::kAxis: return "axis";
  }
  return "?";
}

nlohmann::json SpecJson(const actlab::Spec& s) {
  nlohmann::json params = nlohmann::json::array();
  for (const actlab::ParamSpec& p : s.parameters()) {
    nlohmann::json jp = {{"name", p.name}, {"range", p.range_text()}, {"required", p.required},
                         {"learnable", p.learnable}, {"doc", p.doc}};
    jp["default"] = p.required ? nlohmann::json(nullptr) : nlohmann::json(p.default_value);
    params.push_back(jp);
  }
  nlohmann::json aliases = nlohmann::json::array();
  for (auto a : s.aliases)
    if (!a.empty()) aliases.push_back(a);
  // JSON has no infinity: an unbounded end is null, so each field is a number or null (docs/json.md).
  const auto bound = [](double v) -> nlohmann::json { return std::isinf(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"name", s.name},
          {"aliases", aliases},
          {"torch", s.torch},
          {"formula", s.formula},
          {"derivative", s.derivative},
          {"kinks", s.kinks},
          {"parameters", params},
          {"range", {{"text", s.range_text}, {"min", bound(s.range_min)}, {"max", bound(s.range_max)}}},
          {"properties",
           {{"monotonic", s.has(actlab::kMonotonic)},
            {"smooth", s.has(actlab::kSmooth)},
            {"zero_centred", s.has(actlab::kZeroCentred)},
            {"bounded_below", s.has(actlab::kBoundedBelow)},
            {"bounded_above", s.has(actlab::kBoundedAbove)}}},
          {"shape", ShapeName(s.shape)},
          {"backward_from_output", s.deriv_from_output}};
}

// docs/activations.md, generated from the table (`cmake --build build --target docs`;
// tests/docs_test checks the committed file is current).
int CmdListMarkdown() {
  fmt::print("# Activations\n\n");
  fmt::print("Generated from the activation table (`src/act/table-inl.h`) by `actlab list --markdown`; do not edit.\n");
  fmt::print("Names, parameters, defaults and derivative conventions follow PyTorch. Backward computes\n");
  fmt::print("dx = dy * f'(x) from the input x; at a kink f' takes the value listed under *kinks*.\n");
  fmt::print("Where f' follows from y = f(x) (`actlab list NAME` says so), backward_from_output computes it\n");
  fmt::print("from y instead, at memory speed (inexact where y has rounded towards a saturation value).\n");
  fmt::print("Measured accuracy: [accuracy.md](accuracy.md).\n\n");
  fmt::print("| name | f(x) | f'(x) | parameters (default, valid range) | range | properties |\n|---|---|---|---|---|---|\n");
  const auto cell = [](std::string_view t) {
    std::string out;
    for (char c : t) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  for (const auto& s : actlab::activations()) {
    std::vector<std::string> ps;
    for (const auto& p : s.parameters())
      ps.push_back(fmt::format("`{}` = {} in {}{}", p.name, p.required ? "required" : fmt::format("{:g}", p.default_value),
                               p.range_text(), p.learnable ? ", learnable" : ""));
    std::string name = fmt::format("`{}`", s.name);
    for (auto a : s.aliases)
      if (!a.empty()) name += fmt::format(" (`{}`)", a);
    fmt::print("| {} | {} | {} | {} | {} | {} |\n", name, cell(s.formula), cell(s.derivative),
               ps.empty() ? "none" : fmt::format("{}", fmt::join(ps, "; ")), cell(s.range_text), PropertiesText(s));
  }
  fmt::print("\n## Kinks, PyTorch equivalents, shapes\n\n| name | PyTorch | kinks | shape |\n|---|---|---|---|\n");
  for (const auto& s : actlab::activations())
    fmt::print("| `{}` | `{}` | {} | {} |\n", s.name, s.torch, cell(s.kinks), ShapeName(s.shape));
  return 0;
}

int CmdList(bool json) {
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& s : actlab::activations()) all.push_back(SpecJson(s));
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  for (const auto& s : actlab::activations()) {
    std::string aliases;
    for (auto a : s.aliases)
      if (!a.empty()) aliases += (aliases.empty() ? "" : ", ") + std::string(a);
    fmt::print("{}{}\n", s.name, aliases.empty() ? "" : fmt::format("  (also: {})", aliases));
    fmt::print("    f(x)  = {}\n", s.formula);
    fmt::print("    f'(x) = {}\n", s.derivative);
    if (s.num_params > 0) {
      std::vector<std::string> ps;
      for (const auto& p : s.parameters())
        ps.push_back(fmt::format("{}={}{} in {}", p.name, p.required ? "<required>" : fmt::format("{:g}", p.default_value),
                                 p.learnable ? " (learnable)" : "", p.range_text()));
      fmt::print("    params: {}\n", fmt::join(ps, "; "));
    }
    fmt::print("    range {}; {}{}\n", s.range_text, PropertiesText(s),
               s.shape == actlab::Shape::kElementwise ? "" : fmt::format("; along an axis ({})", ShapeName(s.shape)));
    if (s.kinks != "none") fmt::print("    kinks: {}\n", s.kinks);
    fmt::print("    PyTorch: {}\n", s.torch);
  }
  return 0;
}

// `actlab list NAME`: one activation with all the table says about it; with
// --json the array of `list --json` holding that one object, so one reader
// serves both.
int CmdListOne(const std::string& name, bool json) {
  const actlab::Spec* spec = actlab::find(name);
  if (!spec) (void)actlab::Activation::make(name);  // throws: unknown, with "did you mean"
  const actlab::Spec& s = *spec;
  if (json) {
    std::cout << nlohmann::json::array({SpecJson(s)}).dump(2) << "\n";
    return 0;
  }
  std::string aliases;
  for (auto a : s.aliases)
    if (!a.empty()) aliases += (aliases.empty() ? "" : ", ") + std::string(a);
  fmt::print("{}{}\n", s.name, aliases.empty() ? "" : fmt::format("  (also: {})", aliases));
  fmt::print("  f(x)        {}\n  f'(x)       {}\n", s.formula, s.derivative);
  if (s.num_params == 0) fmt::print("  parameters  none\n");
  for (size_t i = 0; i < s.parameters().size(); ++i) {
    const actlab::ParamSpec& p = s.parameters()[i];
    fmt::print("  {:<11} {} = {}, valid {}{}{}\n", i == 0 ? "parameters" : "", p.name,
               p.required ? "required (no default)" : fmt::format("{:g} by default", p.default_value), p.range_text(),
               p.learnable ? ", learnable" : "", p.doc.empty() ? "" : fmt::format(": {}", p.doc));
  }
  fmt::print("  range       {}\n  properties  {}\n  kinks       {}\n", s.range_text, PropertiesText(s), s.kinks);
  fmt::print("  shape       {}{}\n", ShapeName(s.shape),
             s.shape == actlab::Shape::kElementwise ? "" : " (eval and plot need --axis-size or --logits)");
  fmt::print("  backward    {}\n  PyTorch     {}\n",
             s.deriv_from_output ? "from the input x (exact); also from the output y (backward_from_output)"
                                 : "from the input x",
             s.torch);
  return 0;
}

std::vector<std::pair<std::string, double>> ParseParams(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& kv : raw) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(fmt::format("--param '{}' must look like KEY=VALUE (e.g. --param alpha=0.5)", kv));
    const std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(val.c_str(), &end);
    if (val.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
      throw UsageError(fmt::format("--param {}: '{}' is not a finite number", key, val));
    out.emplace_back(key, v);
  }
  return out;
}

// Reads whitespace-separated numbers; names the line of the first bad token.
template <class T>
std::vector<T> ReadNumbers(std::istream& in) {
  std::vector<T> values;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream words(line);
    std::string tok;
    while (words >> tok) {
      char* end = nullptr;
      errno = 0;
      const double v = sizeof(T) == 4 ? double(std::strtof(tok.c_str(), &end)) : std::strtod(tok.c_str(), &end);
      if (*end != '\0')
        throw UsageError(fmt::format("line {}: '{}' is not a number (accepted: decimals, nan, inf, -inf)", line_no, tok));
      // Overflow to +-inf from a huge literal is a value like any other; an
      // underflow to 0 or a subnormal is the correctly rounded value too.
      values.push_back(T(v));
    }
  }
  return values;
}

template <class T>
void PrintValue(T v) {
  if (std::isnan(v)) {
    std::fputs("nan\n", stdout);
  } else if (std::isinf(v)) {
    std::fputs(v > 0 ? "inf\n" : "-inf\n", stdout);
  } else {
    // 9 and 17 significant digits round-trip float32 and float64.
    std::printf(sizeof(T) == 4 ? "%.9g\n" : "%.17g\n", double(v));
  }
}

// "unknown flag --epohcs; did you mean --epochs?" for the first long flag in
// argv that `cmd` does not define; "" when every one is defined (the extra
// argument is then a stray value, which CLI11's own message names).
std::string UnknownFlagMessage(const CLI::App& cmd, int argc, char** argv) {
  std::vector<std::string> known{"help"};
  for (const CLI::Option* opt : cmd.get_options())
    for (const std::string& n : opt->get_lnames()) known.push_back(n);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const std::string flag = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
    if (std::find(known.begin(), known.end(), flag) != known.end()) continue;
    std::string best;
    size_t best_distance = ~size_t{0};
    for (const std::string& k : known) {
      const size_t d = actlab::edit_distance(flag, k);
      if (d < best_distance) best_distance = d, best = k;
    }
    // The closeness suggest() allows for activation names.
    const bool close = best_distance <= std::max<size_t>(2, flag.size() / 2);
    return fmt::format("unknown flag --{}{}", flag, close ? fmt::format("; did you mean --{}?", best) : "");
  }
  return "";
}

template <class T>
int Eval(const actlab::Activation& a, bool grad, size_t axis_size) {
  const std::vector<T> x = ReadNumbers<T>(std::cin);
  const auto& s = *a.spec;
  if (s.shape != actlab::Shape::kElementwise && axis_size == 0)
    throw UsageError(fmt::format("{} works along an axis: pass --axis-size K (input = rows of K numbers)", s.name));
  if (s.shape == actlab::Shape::kElementwise && axis_size != 0)
    throw UsageError(fmt::format("{} is elementwise: --axis-size does not apply", s.name));
  size_t out_n = x.size();
  if (s.shape == actlab::Shape::kGlu && !grad) out_n = x.size() / 2;
  std::vector<T> y(out_n);
  if (grad) actlab::backward(a, x.data(), static_cast<const T*>(nullptr), y.data(), x.size(), axis_size);
  else actlab::forward(a, x.data(), y.data(), x.size(), axis_size);
  for (T v : y) PrintValue(v);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ChooseOpenMpSpin(argv);
  CLI::App app{"actlab: exact, fast activation functions (forward and backward, float32/float64, SIMD)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "actlab 0.1.0");

  auto* list = app.add_subcommand(
      "list", "List every activation, or one in detail (list NAME): formula, derivative, parameters, properties");
  bool list_json = false, list_markdown = false;
  std::string list_name;
  list->add_option("NAME", list_name, "One activation (name or alias) to describe in detail");
  list->add_flag("--json", list_json, "Print a JSON array instead of text");
  list->add_flag("--markdown", list_markdown, "Print the Markdown table of docs/activations.md");

  auto* eval = app.add_subcommand(
      "eval", "Read numbers from stdin, print f(x) (or f'(x) with --grad), one per line");
  std::string name, dtype = "float32";
  std::vector<std::string> raw_params;
  bool grad = false;
  size_t axis_size = 0;
  eval->add_option("NAME", name, "Activation name or alias (see 'actlab list')")->required();
  eval->add_option("--param,-p", raw_params, "Parameter KEY=VALUE (repeatable), e.g. --param alpha=0.5");
  eval->add_flag("--grad", grad, "Print f'(x) (the gradient of sum f(x)) instead of f(x)");
  eval->add_option("--dtype", dtype, "float32 (9 digits) or float64 (17 digits)")
      ->check(CLI::IsMember({"float32", "float64"}));
  eval->add_option("--axis-size", axis_size,
                   "For softmax, log_softmax, softmin, glu: length K of each row (input = rows of K)")
      ->check(actlab::cli::IntegerIn("[1, 1000000000]"));
  eval->footer(
      "Input: numbers separated by spaces or newlines; nan, inf, -inf accepted.\n"
      "Example: echo '-1 0 1' | actlab eval gelu --dtype float64");

  auto* info = app.add_subcommand("info", "Version, SIMD targets, thread count, GEMM library, OpenMP wait policy");
  bool info_json = false;
  info->add_flag("--json", info_json, "Print one JSON object");

  auto* bench = app.add_subcommand("bench", "Measure every activation against memcpy (Gelem/s)");
  actlab::cli::BenchOptions bench_opts;
  bench->add_option("--threads,-t", bench_opts.threads, "Threads (0 = all cores)")
      ->check(actlab::cli::IntegerIn("[0, 1024]"));
  bench->add_flag("--json", bench_opts.json, "Print one JSON object");
  bench->add_option("--only", bench_opts.names, "Only these activations (repeatable)");
  bench->add_option("--target", bench_opts.target,
                    "Force one SIMD target (as `actlab info` lists them; default: the automatic choice)");

  actlab::cli::TrainCommands train_cmds;
  actlab::cli::AddTrainCommands(app, train_cmds);
  actlab::cli::RecommendOptions recommend_opts;
  CLI::App* recommend = actlab::cli::AddRecommendCommand(app, recommend_opts);
  actlab::cli::CompareOptions compare_opts;
  CLI::App* compare = actlab::cli::AddCompareCommand(app, compare_opts);
  actlab::cli::DiagnoseCommand diagnose_cmd;
  actlab::cli::AddDiagnoseCommand(app, diagnose_cmd);
  actlab::cli::PlotOptions plot_opts;
  auto* plot = actlab::cli::AddPlotCommand(app, plot_opts);
  actlab::cli::ReportOptions report_opts;
  auto* report = actlab::cli::AddReportCommand(app, report_opts);

  if (argc > 1 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    bool known = false;
    std::string names;  // the registered commands, so the list cannot go stale
    for (const auto* sub : app.get_subcommands({})) {
      known |= sub->get_name() == cmd;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "actlab: unknown command '%s'; commands: %s (see 'actlab --help')\n", cmd.c_str(),
                   names.c_str());
      return kUsageError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string sub;
    const CLI::App* cmd = &app;
    for (const auto* s : app.get_subcommands()) sub = s->get_name(), cmd = s;
    std::string message = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
      const std::string unknown = UnknownFlagMessage(*cmd, argc, argv);
      if (!unknown.empty()) message = unknown;
    }
    std::fprintf(stderr, "actlab: %s (see 'actlab%s%s --help')\n", message.c_str(), sub.empty() ? "" : " ",
                 sub.c_str());
    return kUsageError;
  }

  try {
    if (*list) {
      if (list_markdown && !list_name.empty())
        throw UsageError("--markdown with NAME: --markdown prints the whole table; give one or the other");
      if (!list_name.empty()) return CmdListOne(list_name, list_json);
      return list_markdown ? CmdListMarkdown() : CmdList(list_json);
    }
    if (*info) {
      std::string avail;
      for (const auto& t : actlab::available_targets()) avail += (avail.empty() ? "" : " ") + t;
      const char* policy = std::getenv("OMP_WAIT_POLICY");
      const char* spin = std::getenv("GOMP_SPINCOUNT");
      const std::string wait = policy ? fmt::format("OMP_WAIT_POLICY={}", policy)
                               : spin ? fmt::format("GOMP_SPINCOUNT={}{}", spin,
                                                    std::getenv("ACTLAB_SET_GOMP_SPINCOUNT") ? " (set by actlab)" : "")
                                      : std::string("libgomp default");
      if (info_json) {
        nlohmann::json j{{"version", "0.1.0"},
                         {"simd_target", actlab::active_target()},
                         {"simd_available", actlab::available_targets()},
                         {"threads", actlab::threads()},
                         {"activations", actlab::activations().size()},
                         {"gemm", actlab::blas::describe()},
                         {"openmp_wait", wait}};
        fmt::print("{}\n", j.dump(2));
        return 0;
      }
      fmt::print(
          "actlab 0.1.0\nSIMD target: {} (available: {})\nthreads: {}\nactivations: {}\nGEMM: {}\nOpenMP wait: {}\n",
          actlab::active_target(), avail, actlab::threads(), actlab::activations().size(),
                 actlab::blas::describe(), wait);
      return 0;
    }
    if (*bench) {
      for (const auto& n : bench_opts.names)
        if (!actlab::find(n)) (void)actlab::Activation::make(n);  // throws with suggestions
      return actlab::cli::RunBench(bench_opts, std::cout);
    }
    if (*train_cmds.train) return actlab::cli::RunTrain(train_cmds);
    if (*recommend) return actlab::cli::RunRecommend(recommend_opts);
    if (*compare) return actlab::cli::RunCompare(compare, compare_opts);
    if (*train_cmds.evaluate) return actlab::cli::RunEvaluate(train_cmds.evaluate, train_cmds.eval_opts);
    if (*train_cmds.predict) return actlab::cli::RunPredict(train_cmds.predict, train_cmds.predict_opts);
    if (*diagnose_cmd.cmd) return actlab::cli::RunDiagnose(diagnose_cmd);
    if (*plot) return actlab::cli::RunPlot(plot_opts);
    if (*report) return actlab::cli::RunReport(report_opts);
    if (*eval) {
      const auto a = actlab::Activation::make(name, ParseParams(raw_params));
      return dtype == "float64" ? Eval<double>(a, grad, axis_size) : Eval<float>(a, grad, axis_size);
    }
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "actlab: %s\n", e.what());
    return kUsageError;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "actlab: %s\n", e.what());
    return kUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actlab: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
