// The gen_reference.py cases in C++ (same names, same numbers) and the reference file reader.
#include "trajectory_cases.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace tg_optim_test {

const std::map<std::string, Case>& cases() {
  static const std::map<std::string, Case> all = [] {
    using RP = ReduceLROnPlateauScheduler;
    std::map<std::string, Case> c;
    // ---- SGD
    c["sgd"] = {one<SGD>(SGDOptions(0.02))};
    c["sgd_momentum"] = {one<SGD>(SGDOptions(0.02).momentum(0.9))};
    c["sgd_dampening"] = {one<SGD>(SGDOptions(0.02).momentum(0.9).dampening(0.3))};
    c["sgd_nesterov"] = {one<SGD>(SGDOptions(0.02).momentum(0.9).nesterov(true))};
    c["sgd_weight_decay"] = {one<SGD>(SGDOptions(0.02).weight_decay(0.1))};
    c["sgd_all"] = {one<SGD>(SGDOptions(0.02).momentum(0.8).dampening(0.2).weight_decay(0.05))};
    c["sgd_nesterov_weight_decay"] = {one<SGD>(SGDOptions(0.02).momentum(0.7).nesterov(true).weight_decay(0.1))};
    // ---- Adam
    c["adam"] = {one<Adam>(AdamOptions(0.05))};
    c["adam_weight_decay"] = {one<Adam>(AdamOptions(0.05).weight_decay(0.1))};
    c["adam_amsgrad"] = {one<Adam>(AdamOptions(0.05).amsgrad(true))};
    c["adam_betas_eps"] = {one<Adam>(AdamOptions(0.05).betas(std::make_tuple(0.8, 0.95)).eps(1e-3))};
    c["adam_all"] = {
        one<Adam>(AdamOptions(0.05).betas(std::make_tuple(0.85, 0.99)).eps(1e-6).weight_decay(0.05).amsgrad(true))};
    // ---- AdamW
    c["adamw"] = {one<AdamW>(AdamWOptions(0.05))};
    c["adamw_amsgrad"] = {
        one<AdamW>(AdamWOptions(0.05).betas(std::make_tuple(0.8, 0.9)).weight_decay(0.2).amsgrad(true))};
    // ---- RMSprop
    c["rmsprop"] = {one<RMSprop>(RMSpropOptions(0.01))};
    c["rmsprop_centered"] = {one<RMSprop>(RMSpropOptions(0.01).centered(true))};
    c["rmsprop_momentum"] = {one<RMSprop>(RMSpropOptions(0.005).momentum(0.9))};
    c["rmsprop_weight_decay"] = {one<RMSprop>(RMSpropOptions(0.01).weight_decay(0.1))};
    c["rmsprop_all"] = {
        one<RMSprop>(RMSpropOptions(0.005).alpha(0.95).eps(1e-6).weight_decay(0.05).momentum(0.5).centered(true))};
    // ---- Adagrad
    c["adagrad"] = {one<Adagrad>(AdagradOptions(0.1))};
    c["adagrad_lr_decay"] = {one<Adagrad>(AdagradOptions(0.1).lr_decay(0.05))};
    c["adagrad_initial_accumulator"] = {one<Adagrad>(AdagradOptions(0.1).initial_accumulator_value(0.5))};
    c["adagrad_weight_decay"] = {one<Adagrad>(AdagradOptions(0.1).weight_decay(0.1))};
    c["adagrad_all"] = {
        one<Adagrad>(AdagradOptions(0.2).lr_decay(0.01).weight_decay(0.05).initial_accumulator_value(0.1).eps(1e-6))};
    // ---- two parameter groups with different options (Adagrad: accumulators start from the
    // defaults' initial_accumulator_value, as in PyTorch)
    c["sgd_two_groups"] = {two<SGD>(SGDOptions(0.02).momentum(0.9).dampening(0.1),
                                    SGDOptions(0.05).momentum(0.5).nesterov(true).weight_decay(0.1), SGDOptions(1.0))};
    c["adam_two_groups"] = {two<Adam>(AdamOptions(0.05).amsgrad(true),
                                      AdamOptions(0.02).betas(std::make_tuple(0.5, 0.9)).eps(1e-6).weight_decay(0.1),
                                      AdamOptions())};
    c["rmsprop_two_groups"] = {
        two<RMSprop>(RMSpropOptions(0.01).centered(true), RMSpropOptions(0.003).momentum(0.9), RMSpropOptions())};
    c["adagrad_two_groups"] = {two<Adagrad>(AdagradOptions(0.2).lr_decay(0.01),
                                            AdagradOptions(0.05).initial_accumulator_value(1.0),
                                            AdagradOptions().initial_accumulator_value(0.3))};
    // ---- parameters without a gradient are skipped
    c["adam_skip"] = {one<Adam>(AdamOptions(0.05))};
    c["adam_skip"].skip_w2_on_odd_steps = true;
    c["sgd_momentum_skip"] = {one<SGD>(SGDOptions(0.02).momentum(0.9))};
    c["sgd_momentum_skip"].skip_w2_on_odd_steps = true;
    // ---- lr changed by hand through the param group
    c["sgd_set_lr"] = {one<SGD>(SGDOptions(0.02).momentum(0.9))};
    c["sgd_set_lr"].set_lr = {{50, {0.005}}};
    c["sgd_set_lr"].record_lrs = true;
    c["adam_two_groups_set_lr"] = {two<Adam>(AdamOptions(0.05), AdamOptions(0.02), AdamOptions())};
    c["adam_two_groups_set_lr"].set_lr = {{30, {0.01, 0.04}}};
    c["adam_two_groups_set_lr"].record_lrs = true;
    // ---- schedulers
    auto scheduled = [](MakeOptimizer make, std::function<std::unique_ptr<LRScheduler>(Optimizer&)> sched) {
      Case k{std::move(make)};
      k.make_scheduler = std::move(sched);
      k.record_lrs = true;
      return k;
    };
    c["steplr"] = scheduled(one<SGD>(SGDOptions(0.05).momentum(0.9)),
                            [](Optimizer& o) { return std::make_unique<StepLR>(o, 10, 0.5); });
    c["multisteplr"] = scheduled(one<Adam>(AdamOptions(0.05)), [](Optimizer& o) {
      return std::make_unique<MultiStepLR>(o, std::vector<int64_t>{10, 25, 25, 60}, 0.5);
    });
    c["exponentiallr"] = scheduled(one<SGD>(SGDOptions(0.05).momentum(0.5)),
                                   [](Optimizer& o) { return std::make_unique<ExponentialLR>(o, 0.97); });
    c["cosineannealinglr"] = scheduled(two<Adam>(AdamOptions(0.05), AdamOptions(0.02), AdamOptions()),
                                       [](Optimizer& o) { return std::make_unique<CosineAnnealingLR>(o, 30, 0.001); });
    c["linearlr_warmup"] = scheduled(one<SGD>(SGDOptions(0.05).momentum(0.9)),
                                     [](Optimizer& o) { return std::make_unique<LinearLR>(o, 0.25, 1.0, 20); });
    c["linearlr_decay"] = scheduled(two<Adam>(AdamOptions(0.05), AdamOptions(0.02), AdamOptions()),
                                    [](Optimizer& o) { return std::make_unique<LinearLR>(o, 1.0, 0.1, 50); });
    c["steplr_set_lr"] = scheduled(one<SGD>(SGDOptions(0.05).momentum(0.9)),
                                   [](Optimizer& o) { return std::make_unique<StepLR>(o, 10, 0.5); });
    c["steplr_set_lr"].set_lr = {{35, {0.08}}};
    auto plateau = [](MakeOptimizer make, std::function<std::unique_ptr<RP>(Optimizer&)> sched, double (*metric)(int)) {
      Case k{std::move(make)};
      k.make_plateau = std::move(sched);
      k.metric = metric;
      k.record_lrs = true;
      return k;
    };
    c["plateau_min_rel"] = plateau(
        one<SGD>(SGDOptions(0.05).momentum(0.5)),
        [](Optimizer& o) { return std::make_unique<RP>(o, RP::min, 0.5, 3, 1e-2, RP::rel, 2); }, metric_down);
    c["plateau_min_abs"] = plateau(
        one<Adam>(AdamOptions(0.05)),
        [](Optimizer& o) { return std::make_unique<RP>(o, RP::min, 0.2, 1, 0.02, RP::abs); }, metric_down);
    c["plateau_max_abs"] = plateau(
        two<Adam>(AdamOptions(0.05), AdamOptions(0.01), AdamOptions()),
        [](Optimizer& o) {
          return std::make_unique<RP>(o, RP::max, 0.3, 2, 0.05, RP::abs, 1, std::vector<double>{0.004, 0.001});
        },
        metric_up);
    c["plateau_max_rel"] = plateau(
        one<RMSprop>(RMSpropOptions(0.01)),
        [](Optimizer& o) {
          return std::make_unique<RP>(o, RP::max, 0.5, 4, 0.1, RP::rel, 3, std::vector<double>{}, 1e-4);
        },
        metric_up);
    return c;
  }();
  return all;
}

TrainingRun::TrainingRun(const Case& c) {
  optimizer = c.make_optimizer(w1, w2);
  if (c.make_scheduler) scheduler = c.make_scheduler(*optimizer);
  if (c.make_plateau) plateau = c.make_plateau(*optimizer);
}

std::vector<std::vector<double>> TrainingRun::steps(const Case& c, int from, int to) {
  static const Objective objective;
  std::vector<std::vector<double>> rows;
  for (int t = from; t < to; ++t) {
    if (auto it = c.set_lr.find(t); it != c.set_lr.end())
      for (std::size_t g = 0; g < it->second.size(); ++g) optimizer->param_groups()[g].options().set_lr(it->second[g]);
    optimizer->zero_grad();
    objective.loss(w1, w2, c.skip_w2_on_odd_steps && t % 2 == 1).backward();
    optimizer->step();
    if (scheduler) scheduler->step();
    if (plateau) plateau->step(c.metric(t));
    std::vector<double> row;
    for (const Tensor& w : {w1, w2})
      for (int64_t i = 0; i < w.numel(); ++i) row.push_back(w.data_ptr<double>()[i]);
    if (c.record_lrs)
      for (const auto& group : optimizer->param_groups()) row.push_back(group.options().get_lr());
    rows.push_back(std::move(row));
  }
  return rows;
}

const std::map<std::string, std::vector<std::vector<double>>>& reference_trajectories() {
  static const auto all = [] {
    std::map<std::string, std::vector<std::vector<double>>> out;
    const std::string path = std::string(TG_FIXTURES) + "/optim/trajectories.txt";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream header(line);
      std::string word, name;
      int rows = 0, width = 0;
      header >> word >> name >> rows >> width;
      if (word != "case" || rows <= 0 || width <= 0) throw std::runtime_error("bad header in " + path + ": " + line);
      auto& trajectory = out[name];
      for (int r = 0; r < rows; ++r) {
        std::vector<double> row(width);
        for (double& v : row) in >> v;
        trajectory.push_back(std::move(row));
      }
      if (!in) throw std::runtime_error("truncated case " + name + " in " + path);
    }
    return out;
  }();
  return all;
}

}  // namespace tg_optim_test
