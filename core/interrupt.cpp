#include "core/interrupt.hpp"

#include <utility>

namespace cie {
namespace {

thread_local std::function<bool()> t_check;

}  // namespace

InterruptScope::InterruptScope(std::function<bool()> check)
    : previous_(std::exchange(t_check, std::move(check))) {}

InterruptScope::~InterruptScope() { t_check = std::move(previous_); }

void check_interrupt() {
  if (t_check && t_check()) throw Interrupted();
}

}  // namespace cie
