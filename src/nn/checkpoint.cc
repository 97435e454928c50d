// Checkpoints as safetensors: weights under torch.nn.Sequential names so
// Python tools read them, the run's configuration and history as JSON
// metadata, and the optimizer's state so --resume continues bit for bit.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "actlab/safetensors.h"
#include "actlab/train.h"
#include "src/common/json_error.h"

namespace actlab {
namespace {
using nlohmann::json;

json num_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double num_from(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return kNone;
  return j[key].get<double>();
}

constexpr const char* kFormat = "actlab-checkpoint-1";

template <class T>
constexpr safetensors::DType dtype_of() {
  return std::is_same_v<T, float> ? safetensors::DType::F32 : safetensors::DType::F64;
}

std::vector<int64_t> shape_of(size_t rows, size_t cols, bool vector) {
  if (vector) return {static_cast<int64_t>(rows)};
  return {static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
}

// A NaN or inf in a checkpoint would load and then turn every loss and
// prediction into NaN without a word; a file that holds one is refused.
template <class T>
std::vector<T> finite_tensor(const safetensors::File& f, const std::string& path, const std::string& name,
                             const std::vector<int64_t>& shape) {
  std::vector<T> v = f.get<T>(name, shape);
  const auto bad = std::find_if(v.begin(), v.end(), [](T x) { return !std::isfinite(x); });
  if (bad != v.end())
    throw Error(
        fmt::format("{}: tensor '{}' holds {} at element {}; the run that saved it diverged or the file is "
                    "damaged: use an earlier checkpoint or train again",
                    path, name, std::isnan(*bad) ? "NaN" : "inf", bad - v.begin()));
  return v;
}
}  // namespace

std::string config_to_json(const TrainConfig& c) {
  const OptimizerConfig& o = c.optimizer;
  const ScheduleConfig& s = c.schedule;
  json j{{"epochs", c.epochs},
         {"batch_size", c.batch_size},
         {"seed", c.seed},
         {"loss", loss_name(c.loss)},
         {"huber_delta", c.huber_delta},
         {"output", c.output},
         {"init", c.init},
         {"clip_norm", c.clip_norm},
         {"clip_value", c.clip_value},
         {"optimizer",
          {{"kind", o.kind}, {"lr", o.lr}, {"momentum", o.momentum}, {"dampening", o.dampening},
           {"nesterov", o.nesterov}, {"weight_decay", o.weight_decay}, {"beta1", o.beta1},
           {"beta2", o.beta2}, {"eps", o.eps}, {"alpha", o.alpha}, {"centered", o.centered},
           {"lr_decay", o.lr_decay}, {"initial_accumulator", o.initial_accumulator}}},
         {"schedule",
          {{"kind", s.kind}, {"step_size", s.step_size}, {"gamma", s.gamma}, {"min_lr", s.min_lr},
           {"warmup_steps", s.warmup_steps}}}};
  return j.dump();
}

TrainConfig config_from_json(const std::string& text, const std::string& source) {
  try {
    const json j = json::parse(text);
    TrainConfig c;
    c.epochs = j.at("epochs").get<size_t>();
    c.batch_size = j.at("batch_size").get<size_t>();
    c.seed = j.at("seed").get<uint64_t>();
    c.loss = loss_from_name(j.at("loss").get<std::string>());
    c.huber_delta = j.at("huber_delta").get<double>();
    c.output = j.at("output").get<std::string>();
    c.init = j.at("init").get<std::string>();
    c.clip_norm = j.at("clip_norm").get<double>();
    c.clip_value = j.at("clip_value").get<double>();
    const json& o = j.at("optimizer");
    c.optimizer.kind = o.at("kind").get<std::string>();
    c.optimizer.lr = o.at("lr").get<double>();
    c.optimizer.momentum = o.at("momentum").get<double>();
    c.optimizer.dampening = o.at("dampening").get<double>();
    c.optimizer.nesterov = o.at("nesterov").get<bool>();
    c.optimizer.weight_decay = o.at("weight_decay").get<double>();
    c.optimizer.beta1 = o.at("beta1").get<double>();
    c.optimizer.beta2 = o.at("beta2").get<double>();
    c.optimizer.eps = o.at("eps").get<double>();
    c.optimizer.alpha = o.at("alpha").get<double>();
    c.optimizer.centered = o.at("centered").get<bool>();
    c.optimizer.lr_decay = o.at("lr_decay").get<double>();
    c.optimizer.initial_accumulator = o.at("initial_accumulator").get<double>();
    const json& s = j.at("schedule");
    c.schedule.kind = s.at("kind").get<std::string>();
    c.schedule.step_size = s.at("step_size").get<size_t>();
    c.schedule.gamma = s.at("gamma").get<double>();
    c.schedule.min_lr = s.at("min_lr").get<double>();
    c.schedule.warmup_steps = s.at("warmup_steps").get<size_t>();
    return c;
  } catch (const json::exception& e) {
    throw Error(source + ": training configuration is malformed (" + detail::json_error_text(e) + ")");
  }
}

std::string history_to_json(const std::vector<EpochRecord>& h) {
  json a = json::array();
  for (const EpochRecord& r : h)
    a.push_back({{"epoch", r.epoch},
                 {"lr", num_or_null(r.lr)},
                 {"train_loss", num_or_null(r.train_loss)},
                 {"train_accuracy", num_or_null(r.train_accuracy)},
                 {"val_loss", num_or_null(r.val_loss)},
                 {"val_accuracy", num_or_null(r.val_accuracy)},
                 {"test_loss", num_or_null(r.test_loss)},
                 {"test_accuracy", num_or_null(r.test_accuracy)},
                 {"seconds", r.seconds},
                 {"eval_seconds", r.eval_seconds},
                 {"samples_per_second", r.samples_per_second},
                 {"grad_norm", num_or_null(r.grad_norm)}});
  return a.dump();
}

std::vector<EpochRecord> history_from_json(const std::string& text, const std::string& source) {
  try {
    std::vector<EpochRecord> h;
    for (const json& r : json::parse(text)) {
      EpochRecord e;
      e.epoch = r.at("epoch").get<size_t>();
      e.lr = num_from(r, "lr");
      e.train_loss = num_from(r, "train_loss");
      e.train_accuracy = num_from(r, "train_accuracy");
      e.val_loss = num_from(r, "val_loss");
      e.val_accuracy = num_from(r, "val_accuracy");
      e.test_loss = num_from(r, "test_loss");
      e.test_accuracy = num_from(r, "test_accuracy");
      e.seconds = num_from(r, "seconds");
      e.eval_seconds = num_from(r, "eval_seconds");
      e.samples_per_second = num_from(r, "samples_per_second");
      e.grad_norm = num_from(r, "grad_norm");
      h.push_back(e);
    }
    return h;
  } catch (const json::exception& e) {
    throw Error(source + ": training history is malformed (" + detail::json_error_text(e) + ")");
  }
}

template <class T>
void save_checkpoint(const std::string& path, Model<T>& model, const Checkpoint& meta,
                     TrainState<T>* state) {
  std::vector<safetensors::TensorRef> tensors;
  for (const auto& p : model.named_parameters())
    tensors.push_back({p.name, dtype_of<T>(), shape_of(p.rows, p.cols, p.vector), p.value});
  for (const auto& b : model.named_buffers())
    tensors.push_back({b.name, dtype_of<T>(), shape_of(b.rows, b.cols, b.vector), b.value});
  if (state && state->optimizer)
    for (auto& [name, buf] : state->optimizer->state())
      tensors.push_back({"optimizer." + name, dtype_of<T>(), {static_cast<int64_t>(buf->size())},
                         buf->data()});
  if (!meta.scaler.shift.empty()) {
    tensors.push_back({"scaler.shift", safetensors::DType::F32,
                       {static_cast<int64_t>(meta.scaler.shift.size())}, meta.scaler.shift.data()});
    tensors.push_back({"scaler.scale", safetensors::DType::F32,
                       {static_cast<int64_t>(meta.scaler.scale.size())}, meta.scaler.scale.data()});
  }
  std::map<std::string, std::string> md;
  md["format"] = kFormat;
  md["dtype"] = std::is_same_v<T, float> ? "float32" : "float64";
  md["architecture"] = layers_to_json(model.input_features(), model.specs());
  json training = json::parse(config_to_json(meta.config));
  training["epochs_done"] = state ? state->epochs_done : meta.epochs_done;
  training["step"] = state ? state->step : meta.step;
  training["optimizer_steps"] = state && state->optimizer ? state->optimizer->steps : 0;
  md["training"] = training.dump();
  md["history"] = history_to_json(state ? state->history : meta.history);
  md["classes"] = json(meta.classes).dump();
  md["scaler"] = meta.scaler.kind;
  if (!meta.data.empty()) md["data"] = meta.data;
  safetensors::write(path, tensors, md);
}

Checkpoint read_checkpoint_meta(const std::string& path) {
  const safetensors::File f = safetensors::read(path);
  auto field = [&](const char* key) -> const std::string& {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end())
      throw Error(path + ": not an actlab checkpoint (metadata has no '" + key +
                  "'); save models with `actlab train --save`");
    return it->second;
  };
  if (field("format") != kFormat)
    throw Error(path + ": checkpoint format '" + field("format") + "' is not " + kFormat);
  Checkpoint c;
  auto [input, layers] = layers_from_json(field("architecture"), path + " architecture");
  c.input_features = input;
  c.layers = std::move(layers);
  c.dtype = field("dtype");
  if (c.dtype != "float32" && c.dtype != "float64")
    throw Error(path + ": unknown dtype '" + c.dtype + "'");
  c.config = config_from_json(field("training"), path);
  try {
    const json t = json::parse(field("training"));
    c.epochs_done = t.at("epochs_done").get<size_t>();
    c.step = t.at("step").get<uint64_t>();
    c.classes = json::parse(field("classes")).get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw Error(path + ": checkpoint metadata is malformed (" + detail::json_error_text(e) + ")");
  }
  c.history = history_from_json(field("history"), path);
  c.scaler.kind = field("scaler");
  if (auto it = f.metadata.find("data"); it != f.metadata.end()) c.data = it->second;
  if (f.has("scaler.shift")) {
    c.scaler.shift = finite_tensor<float>(f, path, "scaler.shift", {static_cast<int64_t>(c.input_features)});
    c.scaler.scale = finite_tensor<float>(f, path, "scaler.scale", {static_cast<int64_t>(c.input_features)});
  }
  return c;
}

template <class T>
void load_checkpoint(const std::string& path, Model<T>& model, TrainState<T>* state) {
  const safetensors::File f = safetensors::read(path);
  auto load = [&](const NamedTensor<T>& t) {
    const std::vector<T> v = finite_tensor<T>(f, path, t.name, shape_of(t.rows, t.cols, t.vector));
    std::copy(v.begin(), v.end(), t.value);
  };
  for (const auto& p : model.named_parameters()) load(p);
  for (const auto& b : model.named_buffers()) load(b);
  if (state) {
    const Checkpoint meta = read_checkpoint_meta(path);
    state->epochs_done = meta.epochs_done;
    state->step = meta.step;
    state->history = meta.history;
    state->optimizer = make_optimizer<T>(meta.config.optimizer, model.parameter_count());
    for (auto& [name, buf] : state->optimizer->state()) {
      const std::string key = "optimizer." + name;
      if (!f.has(key))
        throw Error(path + ": has no optimizer state '" + key +
                    "' (saved without training state?); start a new run instead of --resume");
      *buf = finite_tensor<T>(f, path, key, {static_cast<int64_t>(buf->size())});
    }
    try {
      state->optimizer->steps =
          json::parse(f.metadata.at("training")).at("optimizer_steps").get<size_t>();
    } catch (const std::exception& e) {
      throw Error(path + ": checkpoint metadata is malformed (optimizer_steps)");
    }
  }
}

template void save_checkpoint(const std::string&, Model<float>&, const Checkpoint&, TrainState<float>*);
template void save_checkpoint(const std::string&, Model<double>&, const Checkpoint&, TrainState<double>*);
template void load_checkpoint(const std::string&, Model<float>&, TrainState<float>*);
template void load_checkpoint(const std::string&, Model<double>&, TrainState<double>*);

}  // namespace actlab
