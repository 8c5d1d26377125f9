// cie._core k-means: models/segments' train_segments (the path of `cie segment fit`) and
// SegmentModel::assign (`cie segment assign`) on a numpy matrix. A fitted model travels as its
// model-file text (models/model_document.hpp), so Python and the CLI read and write the same files.
#include <fmt/ranges.h>

#include <memory>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/model_document.hpp"
#include "models/segments/segment_model.hpp"
#include "models/segments/train_segments.hpp"
#include "python/src/matrix_input.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

using Weights = nb::ndarray<float const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

nb::dict kmeans_fit(MatrixOrColumns const& x, std::vector<std::string> const& names,
                    std::vector<std::string> const& transforms, bool standardize, int n_clusters,
                    std::string const& init, int n_init, int max_iter, double tol,
                    std::string const& refine, std::uint64_t seed, std::size_t silhouette_limit,
                    std::optional<Weights> sample_weight, std::string const& device, int threads) {
  CIE_EXPECTS(transforms.size() == names.size(), "transforms: expected one per feature");
  std::vector<FeatureSpec> specs;
  for (std::size_t j = 0; j < names.size(); ++j) {
    specs.push_back({names[j], ColumnTransform::parse(transforms[j], names[j])});
  }
  FeaturePipeline pipeline(std::move(specs), standardize);
  SegmentTrainingParams params;
  params.kmeans.n_clusters = n_clusters;
  params.kmeans.init = parse_kmeans_init(init, "init");
  params.kmeans.n_init = n_init;
  params.kmeans.max_iter = max_iter;
  params.kmeans.tol = tol;
  params.kmeans.refine = parse_kmeans_refine(refine, "refine");
  params.kmeans.seed = seed;
  params.metrics.silhouette_exact_limit = silhouette_limit;
  params.metrics.silhouette_sample_size = silhouette_limit;
  params.metrics.seed = seed;
  params.metrics.validate();
  CIE_EXPECTS(!sample_weight || sample_weight->shape(0) == input_rows(x),
              "sample_weight: expected {} weights, one per row of X, got {}", input_rows(x),
              sample_weight ? sample_weight->shape(0) : 0);
  Context ctx = make_context(device, threads, seed);

  std::string text;
  std::vector<std::int32_t> labels;
  double inertia = 0.0;
  int iterations = 0;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    std::unique_ptr<MatrixColumns> const columns = input_columns(x, names);
    std::span<float const> weights;
    if (sample_weight) weights = {sample_weight->data(), sample_weight->shape(0)};
    TrainedSegments trained =
        train_segments(ctx, std::move(pipeline), params, columns->raw, weights);
    text = model_file_text(trained.document);
    labels = std::move(trained.result.labels);
    inertia = trained.result.inertia;
    iterations = trained.result.iterations;
  }
  nb::dict out;
  out["model"] = text;
  out["labels"] = to_numpy(std::move(labels));
  out["inertia"] = inertia;
  out["iterations"] = iterations;
  out["device"] = ctx.device_name();
  return out;
}

SegmentModel read_model(std::string const& text) {
  return SegmentModel::from_document(parse_model_file(text, "model", kSegmentModelKind), "model");
}

nb::tuple kmeans_assign(std::string const& model_text, MatrixOrColumns const& x,
                        std::vector<std::string> const& names, std::string const& device,
                        int threads) {
  SegmentModel const model = read_model(model_text);
  CIE_EXPECTS(model.pipeline().column_names() == names,
              "X: the model was fitted on the features {}, got {}",
              fmt::join(model.pipeline().column_names(), ", "), fmt::join(names, ", "));
  Context ctx = make_context(device, threads);
  std::vector<std::int32_t> labels;
  std::vector<float> prepared;
  double inertia = 0.0;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    std::unique_ptr<MatrixColumns> const columns = input_columns(x, names);
    labels = model.assign(ctx, columns->raw, &prepared, &inertia);
  }
  std::size_t const rows = input_rows(x);
  return nb::make_tuple(to_numpy(std::move(labels)),
                        to_numpy_f(std::move(prepared), rows, names.size()), inertia);
}

nb::dict kmeans_model(std::string const& model_text) {
  SegmentModel const model = read_model(model_text);
  std::vector<float> centroids = model.centroids();
  std::size_t const k = static_cast<std::size_t>(model.n_clusters());
  std::size_t const d = model.pipeline().size();
  nb::dict out;
  // k × d row-major: the transpose of a d × k column-major matrix.
  out["centroids"] = nb::cast(to_numpy_f(std::move(centroids), d, k)).attr("T");
  out["features"] = model.pipeline().column_names();
  std::vector<std::string> transforms;
  for (FeatureSpec const& spec : model.pipeline().features()) {
    transforms.push_back(spec.transform.to_string());
  }
  out["transforms"] = transforms;
  out["standardize"] = model.pipeline().standardizes();
  out["cluster_names"] = model.names();
  return out;
}

}  // namespace

void bind_kmeans(nb::module_& m) {
  m.def("kmeans_fit", &kmeans_fit, nb::arg("X"), nb::arg("names"), nb::arg("transforms"),
        nb::arg("standardize"), nb::arg("n_clusters"), nb::arg("init"), nb::arg("n_init"),
        nb::arg("max_iter"), nb::arg("tol"), nb::arg("refine"), nb::arg("seed"),
        nb::arg("silhouette_limit"), nb::arg("sample_weight").none(), nb::arg("device"),
        nb::arg("threads"),
        "train_segments (as `cie segment fit`) on the columns of X (a 2-D float32/float64 array, "
        "or a list of 1-D columns: a float64 F-ordered array and float64 unit-stride columns "
        "are read without a copy, anything else is copied into float64 columns): returns the "
        "model file's text, the labels, inertia and iterations. The GIL is released while it "
        "computes; Ctrl-C stops it (KeyboardInterrupt).");
  m.def("kmeans_assign", &kmeans_assign, nb::arg("model"), nb::arg("X"), nb::arg("names"),
        nb::arg("device"), nb::arg("threads"),
        "SegmentModel::assign (as `cie segment assign`): (labels, prepared matrix, inertia).");
  m.def("input_addresses", &input_addresses, nb::arg("X"),
        "The address of the first value the engine reads of each column of X (a matrix or a "
        "list of columns): equal to the input's own buffer where it is read without a copy.");
  m.def("kmeans_model", &kmeans_model, nb::arg("model"),
        "The fitted arrays of a k-means model file's text: centroids (prepared space), features, "
        "transforms, standardize, cluster names.");
}

}  // namespace cie::python
