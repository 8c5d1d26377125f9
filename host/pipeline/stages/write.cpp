// Stage "write": the published customers file, one row per customer, from the columns the stages
// added (host/io/csv_table.hpp), into the staging directory.
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

class WriteStage final : public NightlyStage {
 public:
  void run(NightlyRun& run) override {
    StageProgress stage("write", run.customers.rows(), *run.logger);
    write_csv_table(run.ctx, run.staging->path(run.config.customers_file), run.output,
                    run.customers.rows());
    stage.advance(run.customers.rows());
    run.finish(stage);
  }
};

}  // namespace

NightlyStageKind write_stage() { return stage_without_section<WriteStage>(); }

}  // namespace cie
