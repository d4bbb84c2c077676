// Anomaly mode. (Skeleton: capture and the NaN check are filled in by the anomaly-mode change.)
#include "tapegrad/anomaly_mode.h"

#include <atomic>

#include "observe.h"

namespace tg::autograd {

namespace {
std::atomic<bool> anomaly_enabled{false};
}

bool AnomalyMode::is_enabled() { return anomaly_enabled.load(std::memory_order_relaxed); }
void AnomalyMode::set_enabled(bool enabled) {
  if (anomaly_enabled.exchange(enabled) != enabled) record_observers.fetch_add(enabled ? 1 : -1);
}
void set_detect_anomaly(bool enabled) { AnomalyMode::set_enabled(enabled); }

DetectAnomalyGuard::DetectAnomalyGuard() : previous_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
DetectAnomalyGuard::~DetectAnomalyGuard() { AnomalyMode::set_enabled(previous_); }

std::string AnomalyMetadata::forward_location() const { return ""; }
std::string AnomalyMetadata::traceback() const { return ""; }

std::shared_ptr<const AnomalyMetadata> capture_anomaly_metadata() { return nullptr; }
void check_anomaly(const Node&, const variable_list&) {}

}  // namespace tg::autograd
