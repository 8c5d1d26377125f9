// The summary of one assignment (`cie offers assign` and the nightly [offers] stage print and
// publish the same): customers, contacts and expected value per offer and channel, cost and the
// budget used, eligible customers and control groups per offer, the candidate contacts each rule
// suppressed, the final prices, the dual bound and gap, the passes and their time.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "models/offers/assignment.hpp"

namespace cie::offers {

/// The summary as JSON; `seconds` (the time per phase) is stored as given.
nlohmann::json assignment_summary_json(Catalog const& catalog, OfferProblem const& problem,
                                       AssignmentResult const& result, nlohmann::json seconds);

/// The readable summary (several lines) of assignment_summary_json's result.
std::string format_assignment_summary(nlohmann::json const& summary);

}  // namespace cie::offers
