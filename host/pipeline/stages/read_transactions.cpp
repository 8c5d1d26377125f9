// Stage "read transactions": the transactions file, read in parallel (host/io/transactions_reader).
#include "host/io/transactions_reader.hpp"
#include "host/pipeline/nightly_report.hpp"
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

class ReadTransactionsStage final : public NightlyStage {
 public:
  void run(NightlyRun& run) override {
    StageProgress stage("read transactions", 0, *run.logger);
    ReadReport read;
    run.transactions =
        read_transactions(run.ctx, run.config.transactions, run.config.transactions_format, read);
    stage.advance(read.rows_accepted);
    run.finish(stage);
    run.report["inputs"]["transactions"] = input_file_json(run.config.transactions, read);
  }
};

}  // namespace

NightlyStageKind read_transactions_stage() {
  return stage_without_section<ReadTransactionsStage>();
}

}  // namespace cie
