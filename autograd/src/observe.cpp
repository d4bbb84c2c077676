// The slow path of recording (observe.h): anomaly mode's call stack and a live Tape's snapshot.
#include "observe.h"

#include "tapegrad/anomaly_mode.h"
#include "tapegrad/tape.h"

namespace tg::autograd {

void observe_record(Node& node, const variable_list& inputs, const variable_list& outputs) {
  if (AnomalyMode::is_enabled())
    if (auto metadata = capture_anomaly_metadata()) node.set_anomaly_metadata(std::move(metadata));
  if (Tape* tape = Tape::current(); tape && tape->recording()) tape->on_record(node, inputs, outputs);
}

}  // namespace tg::autograd
