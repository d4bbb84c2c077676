// The Tape (tape.h). (Skeleton.)
#include "tapegrad/tape.h"

#include "observe.h"

namespace tg::autograd {
namespace {
thread_local Tape* current_tape = nullptr;
}
Tape::Tape(TapeOptions options) : options_(options) {
  if (current_tape) throw Error("Tape: a Tape is already recording on this thread; Tapes do not nest");
  current_tape = this;
  recording_ = true;
  record_observers.fetch_add(1);
}
Tape::~Tape() { stop(); }
void Tape::stop() {
  if (!recording_) return;
  recording_ = false;
  current_tape = nullptr;
  record_observers.fetch_sub(1);
}
Tape* Tape::current() { return current_tape; }
void Tape::on_record(Node&, const variable_list&, const variable_list&) {}
}  // namespace tg::autograd
