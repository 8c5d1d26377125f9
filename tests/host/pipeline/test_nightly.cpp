// `cie run` as the scheduler runs it: the published customer table equals what the individual
// commands (`cie rfm`, `cie segment assign`, `cie propensity score`) produce; configuration
// errors are found before any work (exit 2) and bad data stops the run (exit 3), both leaving
// the previous outputs untouched; a run killed at any moment leaves the previous outputs or the
// new ones, complete; two runs give byte-identical customer tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "kernels/device.hpp"
#include "tests/test_support.hpp"

extern char** environ;

namespace cie {
namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;
using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

using cie::testing::run_quietly;

std::vector<std::string> fields_of(std::string const& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  return fields;
}

/// Generated data, a segments model and a propensity model trained by the individual commands.
class Nightly : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    auto const run = [](std::string const& arguments) {
      RunResult const result = run_quietly(*dir_, arguments);
      ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
    };
    std::string const d = dir_->path().string();
    run("gen --customers 4000 --seed 3 --out " + d + "/data");
    run("rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
        "/rfm.csv");
    run("segment fit --input " + d + "/rfm.csv --k 4 --model " + d + "/seg.json");
    run("propensity train --table " + d + "/data/campaign.csv --table " + d +
        "/data/customers.csv --table " + d +
        "/rfm.csv --target responded --features "
        "recency_days,frequency,monetary_total,age,region,email_opt_in --transforms "
        "recency_days=log1p,frequency=log1p,monetary_total=floor:0+log1p --model " +
        d + "/prop.json");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  /// A configuration applying the saved models; `extra` is appended to [run].
  std::string config(std::string const& output, std::string const& run_extra = "") const {
    std::string const d = dir_->path().string();
    return "[run]\nas_of = \"2026-01-01\"\nseed = 42\n" + run_extra +
           "\n[inputs]\ntransactions = \"" + d + "/data/transactions.csv\"\nattributes = \"" + d +
           "/data/customers.csv\"\n\n[segments]\nmodel = \"" + d +
           "/seg.json\"\n\n[[propensity]]\nname = \"response\"\nmodel = \"" + d +
           "/prop.json\"\n\n[output]\ndirectory = \"" + output + "\"\n";
  }

  static cie::testing::TempDir* dir_;
  cie::testing::TempDir work_;
};
cie::testing::TempDir* Nightly::dir_ = nullptr;

TEST_F(Nightly, PublishesWhatTheIndividualCommandsProduce) {
  spit(work_.file("nightly.toml"), config(work_.file("out")));
  RunResult const run = run_quietly(work_, "run " + work_.file("nightly.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("4,000 customers"));

  std::string const d = dir_->path().string();
  ASSERT_EQ(run_quietly(work_, "segment assign --model " + d + "/seg.json --input " + d +
                                   "/rfm.csv --out " + work_.file("assign.csv"))
                .exit_code,
            0);
  ASSERT_EQ(run_quietly(work_, "propensity score --model " + d + "/prop.json --table " + d +
                                   "/rfm.csv --table " + d + "/data/customers.csv --out " +
                                   work_.file("scores.csv"))
                .exit_code,
            0);
  std::vector<std::string> const nightly = lines_of(slurp(work_.file("out") + "/customers.csv"));
  std::vector<std::string> const rfm = lines_of(slurp(d + "/rfm.csv"));
  std::vector<std::string> const assign = lines_of(slurp(work_.file("assign.csv")));
  std::vector<std::string> const scores = lines_of(slurp(work_.file("scores.csv")));
  ASSERT_EQ(nightly.size(), rfm.size());
  ASSERT_EQ(nightly.size(), assign.size());
  ASSERT_EQ(nightly.size(), scores.size());
  EXPECT_EQ(nightly[0], rfm[0] + ",cluster,cluster_name,response_probability,response_decile");
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    // assign's "id,cluster,cluster_name,distance": the name may be quoted and hold commas.
    std::size_t const after_id = assign[i].find(',') + 1;
    std::string const cluster = assign[i].substr(after_id, assign[i].rfind(',') - after_id);
    std::vector<std::string> const score = fields_of(scores[i]);
    ASSERT_EQ(nightly[i], rfm[i] + "," + cluster + "," + score[1] + "," + score[2])
        << "customer line " << i;
  }
  nlohmann::json const report =
      nlohmann::json::parse(slurp(work_.file("out") + "/run_report.json"));
  EXPECT_EQ(report["customers"], 4000);
  if (kernels::probe_cuda_devices().count == 0) {
    EXPECT_EQ(report["device"], "cpu");  // auto falls back to the CPU where no GPU is usable
  } else {
    EXPECT_THAT(report["device"].get<std::string>(), ::testing::StartsWith("cuda:"));
  }
  EXPECT_EQ(report["inputs"]["transactions"]["rejected_rows"], 0);
  EXPECT_EQ(report["models"][0]["name"], "response");
  EXPECT_GE(report["stages"].size(), 5u);
}

TEST_F(Nightly, UpliftStagePublishesWhatUpliftScoreProduces) {
  std::string const d = dir_->path().string();
  for (std::string const method : {"two-model", "x-learner --model-type gbdt --n-trees 20"}) {
    std::string const out = method == "two-model" ? "out_t" : "out_x";
    RunResult const trained = run_quietly(
        work_, "uplift train --table " + d + "/data/campaign.csv --table " + d +
                   "/data/customers.csv --table " + d +
                   "/rfm.csv --treatment treated --treated 1 "
                   "--target responded --features recency_days,frequency,monetary_total,age,region "
                   "--method " +
                   method + " --model " + work_.file("uplift.json"));
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    spit(work_.file("nightly.toml"), config(work_.file(out)) +
                                         "\n[[uplift]]\nname = \"winter\"\n"
                                         "model = \"" +
                                         work_.file("uplift.json") + "\"\n");
    RunResult const run = run_quietly(work_, "run " + work_.file("nightly.toml"));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_EQ(run_quietly(work_, "uplift score --model " + work_.file("uplift.json") + " --table " +
                                     d + "/rfm.csv --table " + d + "/data/customers.csv --out " +
                                     work_.file("uplift.csv"))
                  .exit_code,
              0);
    std::vector<std::string> const nightly = lines_of(slurp(work_.file(out) + "/customers.csv"));
    std::vector<std::string> const scores = lines_of(slurp(work_.file("uplift.csv")));
    ASSERT_EQ(nightly.size(), scores.size());
    std::vector<std::string> const header = fields_of(nightly[0]);
    ASSERT_GE(header.size(), 2u);
    EXPECT_EQ(header[header.size() - 2], "winter_uplift");
    EXPECT_EQ(header.back(), "winter_uplift_decile");
    for (std::size_t i = 1; i < nightly.size(); ++i) {
      std::vector<std::string> const published = fields_of(nightly[i]);
      std::vector<std::string> const score = fields_of(scores[i]);
      ASSERT_EQ(published[published.size() - 2], score[1]) << "customer line " << i;
      ASSERT_EQ(published.back(), score[2]) << "customer line " << i;
    }
    nlohmann::json const report =
        nlohmann::json::parse(slurp(work_.file(out) + "/run_report.json"));
    EXPECT_EQ(report["models"].back()["name"], "winter");
    EXPECT_EQ(report["models"].back()["method"], method.substr(0, method.find(' ')));
  }
}

TEST_F(Nightly, TwoRunsGiveByteIdenticalCustomerTables) {
  spit(work_.file("a.toml"), config(work_.file("a")));
  spit(work_.file("b.toml"), config(work_.file("b"), "threads = 1\n"));
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("a.toml")).exit_code, 0);
  ASSERT_EQ(cie::testing::run_cie(work_, "--log-level warn run " + work_.file("b.toml")).exit_code,
            0);
  EXPECT_EQ(slurp(work_.file("a") + "/customers.csv"), slurp(work_.file("b") + "/customers.csv"));
}

TEST_F(Nightly, RfmSectionTiesKeyMatchesTheCommandOption) {
  std::string const d = dir_->path().string();
  ASSERT_EQ(run_quietly(work_, "rfm --transactions " + d +
                                   "/data/transactions.csv --as-of 2026-01-01 "
                                   "--ties first --out " +
                                   work_.file("first.csv"))
                .exit_code,
            0);
  std::string const text = config(work_.file("out")) + "\n[rfm]\nties = \"first\"\n";
  spit(work_.file("first.toml"), text);
  RunResult const run = run_quietly(work_, "run " + work_.file("first.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> const nightly = lines_of(slurp(work_.file("out") + "/customers.csv"));
  std::vector<std::string> const first = lines_of(slurp(work_.file("first.csv")));
  std::vector<std::string> const equal = lines_of(slurp(d + "/rfm.csv"));
  ASSERT_EQ(nightly.size(), first.size());
  std::size_t differ_from_equal = 0;
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    ASSERT_EQ(nightly[i].substr(0, first[i].size() + 1), first[i] + ",") << "customer line " << i;
    differ_from_equal += first[i] != equal[i];
  }
  EXPECT_GT(differ_from_equal, 0u) << "the generated data has ties, so the rules must differ";
}

TEST_F(Nightly, ConfigurationErrorsStopBeforeAnyWork) {
  std::string const output = work_.file("out");
  spit(work_.file("good.toml"), config(output));
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("good.toml")).exit_code, 0);
  std::string const before = slurp(output + "/customers.csv");

  struct Case {
    std::string text;
    std::string message;
  };
  std::string const good = config(output);
  std::string const saved_model = "model = \"" + dir_->path().string() + "/seg.json\"";
  std::vector<Case> const cases = {
      {good + "colour = \"blue\"\n", "unknown key 'colour'"},
      {good + "[extra]\n", "unknown key 'extra'"},
      {std::string(good).replace(good.find("transactions.csv"), 16, "nope.csv"), "nope.csv"},
      {std::string(good).replace(good.find("seed = 42"), 9, "seed = \"x\""), "seed"},
      {std::string(good).replace(good.find("prop.json"), 9, "seg.json"), "kmeans"},
      {std::string(good).replace(good.find("as_of = \"2026-01-01\""), 20, "as_of = \"2026-13-01\""),
       "as_of"},
      {std::string(good).replace(good.find("[run]\n"), 6, "[run]\nmemory_limit = \"lots\"\n"),
       "memory_limit"},
      {good + "[[propensity]]\nname = \"response\"\nmodel = \"" + dir_->path().string() +
           "/prop.json\"\n",
       "two [[propensity]] models are named 'response'"},
      {good + "[[uplift]]\nname = \"winter\"\nmodel = \"" + dir_->path().string() +
           "/prop.json\"\n",
       "propensity"},
      {good + "[[uplift]]\nname = \"winter\"\n", "[[uplift]] 'winter' needs model"},
      {std::string(good).replace(
           good.find("attributes"),
           good.find("\n", good.find("attributes")) - good.find("attributes") + 1, ""),
       "needs columns age, region, email_opt_in"},
      {std::string(good).replace(good.find(saved_model), saved_model.size(),
                                 "retrain = true\nrefine = \"fast\""),
       "[segments] refine: expected hartigan or none, got 'fast'"},
      {std::string(good).replace(good.find(saved_model), saved_model.size(),
                                 saved_model + "\nrefine = \"none\""),
       "refine are for retrain = true; a saved model has its own"},
      {good + "\n[rfm]\nties = \"maybe\"\n", "ties: expected equal or first, got 'maybe'"},
      {good + "\n[rfm]\nfrequency = \"orders\"\n", "needs [inputs] order_col"},
      {std::string(good).replace(good.find("[inputs]\n"), 9, "[inputs]\ncancel_prefix = \"C\"\n"),
       "[inputs] cancel_prefix needs order_col"},
  };
  for (Case const& c : cases) {
    spit(work_.file("bad.toml"), c.text);
    RunResult const result = run_quietly(work_, "run " + work_.file("bad.toml"));
    EXPECT_EQ(result.exit_code, 2) << c.text;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.text;
    EXPECT_THAT(result.err, HasSubstr("bad.toml")) << c.text;
    EXPECT_EQ(slurp(output + "/customers.csv"), before);
  }
}

TEST_F(Nightly, RetrainedSegmentsFollowTheRefineSetting) {
  std::string const saved_model = "model = \"" + dir_->path().string() + "/seg.json\"";
  auto retrain = [&](std::string const& name, std::string const& refine) {
    std::string text = config(work_.file(name));
    text.replace(text.find(saved_model), saved_model.size(),
                 "retrain = true\nk = 5\nn_init = 2\nrefine = \"" + refine + "\"");
    spit(work_.file(name + ".toml"), text);
    RunResult const run = run_quietly(work_, "run " + work_.file(name + ".toml"));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(slurp(work_.file(name) + "/segments_model.json"));
  };
  nlohmann::json const lloyd = retrain("lloyd", "none");
  nlohmann::json const refined = retrain("refined", "hartigan");
  EXPECT_EQ(lloyd["params"]["refine"], "none");
  EXPECT_EQ(refined["params"]["refine"], "hartigan");
  EXPECT_EQ(lloyd["training_metrics"]["refine_moves"], 0);
  EXPECT_GT(refined["training_metrics"]["refine_moves"].get<int>(), 0);
  EXPECT_LE(refined["training_metrics"]["inertia"].get<double>(),
            lloyd["training_metrics"]["inertia"].get<double>());

  // One training path: the nightly retrain writes the model `cie segment fit` writes on the same
  // RFM table (every customer has attributes here), params and fingerprint included.
  std::string const d = dir_->path().string();
  ASSERT_EQ(run_quietly(work_, "--seed 42 segment fit --input " + d +
                                   "/rfm.csv --k 5 --n-init 2 "
                                   "--refine hartigan --model " +
                                   work_.file("fit.json"))
                .exit_code,
            0);
  nlohmann::json const fit = nlohmann::json::parse(slurp(work_.file("fit.json")));
  for (char const* key :
       {"kind", "features", "params", "fitted", "training_metrics", "training_data"}) {
    EXPECT_EQ(refined[key], fit[key]) << key;
  }
  EXPECT_EQ(refined["training_data"]["rows"], 4000);
  EXPECT_EQ(refined["training_data"]["cols"], 3);
  EXPECT_EQ(refined["params"]["n_clusters"], 5);
  EXPECT_EQ(refined["params"]["n_init"], 2);
  EXPECT_EQ(refined["params"]["seed"], 42);
}

/// The squared distance between centroid a of `current` and centroid b of `previous`, the
/// previous one carried into current's prepared space through both models' scalers.
double carried_distance(nlohmann::json const& previous, std::size_t b,
                        nlohmann::json const& current, std::size_t a) {
  double sum = 0.0;
  nlohmann::json const& old_columns = previous["features"]["columns"];
  nlohmann::json const& new_columns = current["features"]["columns"];
  for (std::size_t j = 0; j < new_columns.size(); ++j) {
    double const transformed = previous["fitted"]["centroids"][b][j].get<double>() *
                                   old_columns[j]["scale"].get<double>() +
                               old_columns[j]["mean"].get<double>();
    double const carried = (transformed - new_columns[j]["mean"].get<double>()) /
                           new_columns[j]["scale"].get<double>();
    double const diff = current["fitted"]["centroids"][a][j].get<double>() - carried;
    sum += diff * diff;
  }
  return sum;
}

TEST_F(Nightly, RetrainOnTheNextNightKeepsTheClusterIds) {
  std::string const saved_model = "model = \"" + dir_->path().string() + "/seg.json\"";
  std::string const output = work_.file("out");
  auto night = [&](std::string const& as_of) {
    std::string text = config(output);
    text.replace(text.find(saved_model), saved_model.size(), "retrain = true\nk = 4\nn_init = 2");
    text.replace(text.find("2026-01-01"), 10, as_of);
    spit(work_.file("night.toml"), text);
    RunResult const run = run_quietly(work_, "run " + work_.file("night.toml"));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return std::pair{nlohmann::json::parse(slurp(output + "/segments_model.json")),
                     nlohmann::json::parse(slurp(output + "/run_report.json"))};
  };
  auto const [first_model, first_report] = night("2025-11-01");
  EXPECT_TRUE(first_report["segments_model"]["cluster_ids"]["previous_model"].is_null());
  auto const [second_model, second_report] = night("2025-12-01");
  nlohmann::json const& ids = second_report["segments_model"]["cluster_ids"];
  ASSERT_EQ(ids["clusters"].size(), 4u) << ids.dump();
  EXPECT_TRUE(ids["new"].empty());
  EXPECT_TRUE(ids["gone"].empty());
  bool renumbered = false;  // the report lists clusters in fitted order
  for (std::size_t fitted = 0; fitted < 4; ++fitted) {
    nlohmann::json const& cluster = ids["clusters"][fitted];
    EXPECT_EQ(cluster["id"], cluster["previous_id"]) << ids.dump();
    renumbered = renumbered || cluster["id"] != fitted;
  }
  EXPECT_TRUE(renumbered) << "k-means found last night's order itself: the test shows nothing";
  // Independently: of all 24 ways to pair tonight's ids with last night's, keeping each id is
  // the cheapest (sum of squared centroid distances).
  std::vector<std::size_t> permutation = {0, 1, 2, 3};
  auto const total = [&](std::vector<std::size_t> const& pairing) {
    double sum = 0.0;
    for (std::size_t a = 0; a < 4; ++a)
      sum += carried_distance(first_model, pairing[a], second_model, a);
    return sum;
  };
  double const kept = total(permutation);
  while (std::next_permutation(permutation.begin(), permutation.end())) {
    EXPECT_LE(kept, total(permutation) + 1e-9) << "a renumbering is cheaper than keeping the ids";
  }
  EXPECT_NE(first_model["training_data"], second_model["training_data"]) << "two different nights";
}

TEST_F(Nightly, BadDataAndAnUnusableDeviceLeaveThePreviousOutputs) {
  std::string const output = work_.file("out");
  spit(work_.file("good.toml"), config(output));
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("good.toml")).exit_code, 0);
  std::string const before = slurp(output + "/customers.csv");

  std::string transactions = slurp(dir_->path().string() + "/data/transactions.csv");
  transactions += "C00000001,2025-13-45,10.00\n";
  spit(work_.file("bad.csv"), transactions);
  std::string text = config(output);
  text.replace(text.find(dir_->path().string() + "/data/transactions.csv"),
               dir_->path().string().size() + 22, work_.file("bad.csv"));
  spit(work_.file("bad.toml"), text);
  RunResult const bad = run_quietly(work_, "run " + work_.file("bad.toml"));
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("bad.csv:"));
  EXPECT_EQ(slurp(output + "/customers.csv"), before);

  // Where a GPU is usable (a GPU machine, the CUDA emulation build) --device cuda succeeds.
  if (kernels::probe_cuda_devices().count == 0) {
    RunResult const device = run_quietly(work_, "--device cuda run " + work_.file("good.toml"));
    EXPECT_EQ(device.exit_code, 4) << device.err;  // no usable GPU here, and it was demanded
    EXPECT_EQ(slurp(output + "/customers.csv"), before);
  }
  for (fs::directory_entry const& entry : fs::directory_iterator(work_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("staging")));
  }
}

/// Starts `cie ARGS...` with stdout and stderr to /dev/null; returns its pid.
pid_t spawn_cie(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), CIE_BINARY);
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int const error = posix_spawn(&pid, CIE_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(error, 0);
  return pid;
}

TEST_F(Nightly, AKilledRunLeavesThePreviousOrTheNewOutputsComplete) {
  std::string const output = work_.file("out");
  // Yesterday's outputs, and what tonight's run (another as-of day) publishes when it finishes.
  spit(work_.file("yesterday.toml"), config(output));
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("yesterday.toml")).exit_code, 0);
  std::string const yesterday = slurp(output + "/customers.csv");
  std::string tonight_text = config(work_.file("reference"));
  tonight_text.replace(tonight_text.find("2026-01-01"), 10, "2025-12-01");
  spit(work_.file("reference.toml"), tonight_text);
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("reference.toml")).exit_code, 0);
  std::string const tonight = slurp(work_.file("reference") + "/customers.csv");
  ASSERT_NE(yesterday, tonight);
  tonight_text.replace(tonight_text.find(work_.file("reference")), work_.file("reference").size(),
                       output);
  spit(work_.file("tonight.toml"), tonight_text);

  int killed_before_publishing = 0;
  for (int const delay_ms : {0, 20, 60, 120, 200, 300, 450, 700, 1000, 1500}) {
    pid_t const pid = spawn_cie({"--threads", "2", "run", work_.file("tonight.toml")});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string const published = slurp(output + "/customers.csv");
    bool const old_outputs = published == yesterday;
    EXPECT_TRUE(old_outputs || published == tonight) << "after " << delay_ms << " ms";
    EXPECT_EQ(fs::exists(output + "/run_report.json"), true);
    killed_before_publishing += old_outputs ? 1 : 0;
    if (!old_outputs) {
      // Published: put yesterday's outputs back for the next attempt.
      ASSERT_EQ(run_quietly(work_, "run " + work_.file("yesterday.toml")).exit_code, 0);
    }
  }
  EXPECT_GT(killed_before_publishing, 0);  // at least one kill landed mid-run
  // The next run cleans up what the killed runs left beside the output directory.
  ASSERT_EQ(run_quietly(work_, "run " + work_.file("tonight.toml")).exit_code, 0);
  EXPECT_EQ(slurp(output + "/customers.csv"), tonight);
  for (fs::directory_entry const& entry : fs::directory_iterator(work_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("staging")));
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
