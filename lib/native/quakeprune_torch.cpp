// The C ABI over libtorch that QuakePrune.Torch binds to. Kept thin: one function per libtorch call,
// every C++ exception caught and turned into a message the C# side raises as a managed exception.
//
// Conventions:
// - A tensor is an opaque handle: a heap `at::Tensor*`, freed by qp_tensor_free. An "undefined" tensor
//   handle (qp_undefined) stands for an absent optional tensor (no bias, no class weights).
// - Functions returning a tensor return nullptr on failure; functions returning int return 0 on
//   success and -1 on failure. In both cases qp_last_error() holds libtorch's message (per thread).
// - dtypes are c10::ScalarType codes; devices are (c10::DeviceType code, index).
// - Fixed-size geometry (kernel, stride, padding...) is passed as int64 arrays whose length is the
//   number of spatial dims of the op (2 for the *2d functions, 1 for the *1d ones).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/cuda.h>
#include <torch/version.h>
#ifdef QP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#define QP_API extern "C" __attribute__((visibility("default")))

typedef at::Tensor* qp_tensor;

// A Scalar crossing the ABI: kind 0 = floating (d), 1 = integer (i), 2 = bool (i != 0), 3 = absent.
struct qp_scalar {
  double d;
  int64_t i;
  int32_t kind;
};

namespace {
thread_local std::string last_error;
thread_local std::string text_result;
// Handles handed out and not yet freed: what a leak of tensors would change, whatever the allocator keeps.
std::atomic<int64_t> live_tensors{0};

qp_tensor wrap(at::Tensor t) {
  auto handle = new at::Tensor(std::move(t));
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return handle;
}

at::Scalar scalar(const qp_scalar& s) {
  switch (s.kind) {
    case 0: return at::Scalar(s.d);
    case 1: return at::Scalar(s.i);
    case 2: return at::Scalar(s.i != 0);
    default: throw std::invalid_argument("a scalar argument is missing");
  }
}

c10::optional<at::Scalar> opt_scalar(const qp_scalar& s) {
  if (s.kind == 3) return c10::nullopt;
  return scalar(s);
}

c10::optional<at::Tensor> opt(qp_tensor t) {
  if (t == nullptr || !t->defined()) return c10::nullopt;
  return *t;
}

at::IntArrayRef ints(const int64_t* values, int64_t n) { return at::IntArrayRef(values, static_cast<size_t>(n)); }

std::vector<at::Tensor> tensor_list(const qp_tensor* tensors, int64_t n) {
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) list.push_back(*tensors[k]);
  return list;
}

at::TensorOptions options(int32_t dtype, int32_t device_type, int32_t device_index) {
  return at::TensorOptions()
      .dtype(static_cast<at::ScalarType>(dtype))
      .device(at::Device(static_cast<at::DeviceType>(device_type), static_cast<c10::DeviceIndex>(device_index)));
}

const char* text(std::string value) {
  text_result = std::move(value);
  return text_result.c_str();
}
}  // namespace

// One guard for every entry point: a C++ exception never crosses the ABI.
#define QP_GUARD(fail, ...)                                                   \
  try {                                                                       \
    __VA_ARGS__                                                               \
  } catch (const c10::Error& e) {                                             \
    last_error = e.what_without_backtrace();                                  \
    return fail;                                                              \
  } catch (const std::exception& e) {                                         \
    last_error = e.what();                                                    \
    return fail;                                                              \
  } catch (...) {                                                             \
    last_error = "unknown C++ exception from libtorch";                       \
    return fail;                                                              \
  }
#define QP_TENSOR(...) QP_GUARD(nullptr, return wrap(__VA_ARGS__);)
#define QP_STATUS(...) QP_GUARD(-1, __VA_ARGS__; return 0;)
#define QP_PAIR(call)                                   \
  QP_GUARD(-1, auto r = call; *out_first = wrap(std::move(std::get<0>(r))); \
           *out_second = wrap(std::move(std::get<1>(r))); return 0;)

// ---- errors, handles ------------------------------------------------------------------------------
QP_API const char* qp_last_error() { return last_error.c_str(); }
QP_API void qp_tensor_free(qp_tensor t) {
  if (t == nullptr) return;
  live_tensors.fetch_sub(1, std::memory_order_relaxed);
  delete t;
}
QP_API int64_t qp_live_tensors() { return live_tensors.load(std::memory_order_relaxed); }
QP_API qp_tensor qp_undefined() { QP_TENSOR(at::Tensor()) }
// A second handle to the same tensor (what a callback hands back to the shim, which frees it).
QP_API qp_tensor qp_tensor_new_handle(qp_tensor t) { QP_TENSOR(*t) }
QP_API int32_t qp_defined(qp_tensor t) { return t->defined() ? 1 : 0; }

// ---- build and runtime --------------------------------------------------------------------------
QP_API const char* qp_torch_version() { return TORCH_VERSION; }
QP_API int32_t qp_has_mkldnn() { return at::hasMKLDNN() ? 1 : 0; }
QP_API int32_t qp_has_openmp() { return at::hasOpenMP() ? 1 : 0; }
QP_API int32_t qp_has_mkl() { return at::hasMKL() ? 1 : 0; }
QP_API const char* qp_show_config() { QP_GUARD(nullptr, return text(at::show_config());) }
QP_API const char* qp_parallel_info() { QP_GUARD(nullptr, return text(at::get_parallel_info());) }
QP_API int32_t qp_set_num_threads(int32_t n) { QP_STATUS(at::set_num_threads(n)) }
QP_API int32_t qp_get_num_threads() { return at::get_num_threads(); }
QP_API int32_t qp_manual_seed(uint64_t seed) { QP_STATUS(at::manual_seed(seed)) }
QP_API int32_t qp_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
QP_API int32_t qp_cuda_device_count() { return static_cast<int32_t>(torch::cuda::device_count()); }
QP_API int32_t qp_cuda_synchronize(int32_t device) { QP_STATUS(torch::cuda::synchronize(device)) }
QP_API const char* qp_cuda_device_name(int32_t device) {
#ifdef QP_WITH_CUDA
  QP_GUARD(nullptr, return text(at::cuda::getDeviceProperties(device)->name);)
#else
  last_error = "this libtorch was built without CUDA (device " + std::to_string(device) + ")";
  return nullptr;
#endif
}

// ---- autograd modes (thread-local in libtorch) -------------------------------------------------
QP_API int32_t qp_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
QP_API void qp_set_grad_enabled(int32_t enabled) { c10::GradMode::set_enabled(enabled != 0); }
QP_API void* qp_inference_mode_enter(int32_t enabled) { QP_GUARD(nullptr, return new c10::InferenceMode(enabled != 0);) }
QP_API void qp_inference_mode_exit(void* guard) { delete static_cast<c10::InferenceMode*>(guard); }
QP_API int32_t qp_is_inference_mode() { return c10::InferenceMode::is_enabled() ? 1 : 0; }

// ---- creation ----------------------------------------------------------------------------------
QP_API qp_tensor qp_from_data(const void* data, const int64_t* shape, int64_t ndim, int32_t dtype) {
  QP_TENSOR(at::from_blob(const_cast<void*>(data), ints(shape, ndim), options(dtype, 0, -1)).clone())
}
QP_API qp_tensor qp_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::empty(ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_zeros(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::zeros(ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_ones(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::ones(ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_full(const int64_t* shape, int64_t ndim, qp_scalar value, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::full(ints(shape, ndim), scalar(value), options(dtype, dt, di)))
}
QP_API qp_tensor qp_rand(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::rand(ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_randn(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::randn(ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::randint(low, high, ints(shape, ndim), options(dtype, dt, di)))
}
QP_API qp_tensor qp_randperm(int64_t n, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::randperm(n, options(dtype, dt, di)))
}
QP_API qp_tensor qp_arange(qp_scalar start, qp_scalar end, qp_scalar step, int32_t dtype, int32_t dt, int32_t di) {
  QP_TENSOR(at::arange(scalar(start), scalar(end), scalar(step), options(dtype, dt, di)))
}

// ---- properties and copies out -----------------------------------------------------------------
QP_API int64_t qp_dim(qp_tensor t) { return t->dim(); }
QP_API void qp_sizes(qp_tensor t, int64_t* out) {
  auto sizes = t->sizes();
  std::memcpy(out, sizes.data(), sizes.size() * sizeof(int64_t));
}
QP_API int64_t qp_numel(qp_tensor t) { return t->numel(); }
QP_API int32_t qp_dtype(qp_tensor t) { return static_cast<int32_t>(t->scalar_type()); }
QP_API int32_t qp_device_type(qp_tensor t) { return static_cast<int32_t>(t->device().type()); }
QP_API int32_t qp_device_index(qp_tensor t) { return t->device().index(); }
QP_API int32_t qp_requires_grad(qp_tensor t) { return t->requires_grad() ? 1 : 0; }
QP_API int32_t qp_is_leaf(qp_tensor t) { return t->is_leaf() ? 1 : 0; }
QP_API int32_t qp_is_contiguous(qp_tensor t) { return t->is_contiguous() ? 1 : 0; }
QP_API int32_t qp_set_requires_grad(qp_tensor t, int32_t value) { QP_STATUS(t->requires_grad_(value != 0)) }
QP_API int32_t qp_copy_to_buffer(qp_tensor t, void* out, int64_t nbytes) {
  QP_STATUS(auto cpu = t->detach().to(at::kCPU).contiguous();
            TORCH_CHECK(static_cast<int64_t>(cpu.nbytes()) == nbytes, "copy out: the tensor holds ", cpu.nbytes(),
                        " bytes, the buffer ", nbytes);
            std::memcpy(out, cpu.data_ptr(), cpu.nbytes()))
}
// The address of a dense CPU tensor's first element, for a library that reads or writes it in place (oneDNN).
QP_API int32_t qp_data_ptr(qp_tensor t, void** out) {
  QP_STATUS(TORCH_CHECK(t->device().is_cpu() && t->is_contiguous(), "data pointer: needs a dense (contiguous) CPU tensor, got ",
                        t->device(), t->is_contiguous() ? "" : ", not contiguous");
            *out = t->data_ptr())
}
QP_API int32_t qp_item_double(qp_tensor t, double* out) { QP_STATUS(*out = t->item<double>()) }
QP_API int32_t qp_item_int64(qp_tensor t, int64_t* out) { QP_STATUS(*out = t->item<int64_t>()) }

// ---- conversions -------------------------------------------------------------------------------
QP_API qp_tensor qp_to_device(qp_tensor t, int32_t dt, int32_t di, int32_t non_blocking) {
  QP_TENSOR(t->to(at::Device(static_cast<at::DeviceType>(dt), static_cast<c10::DeviceIndex>(di)), non_blocking != 0))
}
QP_API qp_tensor qp_to_dtype(qp_tensor t, int32_t dtype) { QP_TENSOR(t->to(static_cast<at::ScalarType>(dtype))) }
QP_API qp_tensor qp_clone(qp_tensor t) { QP_TENSOR(t->clone()) }
QP_API qp_tensor qp_detach(qp_tensor t) { QP_TENSOR(t->detach()) }
QP_API int32_t qp_detach_(qp_tensor t) { QP_STATUS(t->detach_()) }
QP_API qp_tensor qp_contiguous(qp_tensor t) { QP_TENSOR(t->contiguous()) }
QP_API qp_tensor qp_alias(qp_tensor t) { QP_TENSOR(at::Tensor(*t)) }

// ---- autograd ----------------------------------------------------------------------------------
QP_API int32_t qp_backward(qp_tensor t, qp_tensor gradient, int32_t retain_graph, int32_t create_graph) {
  QP_STATUS(t->backward(opt(gradient).value_or(at::Tensor()),
                        retain_graph < 0 ? c10::optional<bool>() : c10::optional<bool>(retain_graph != 0),
                        create_graph != 0))
}
// The gradient, or nullptr in *out when the tensor has none yet.
QP_API int32_t qp_grad(qp_tensor t, qp_tensor* out) {
  QP_STATUS(const auto& g = t->grad(); *out = g.defined() ? wrap(g) : nullptr)
}
QP_API int32_t qp_set_grad(qp_tensor t, qp_tensor gradient) {
  QP_STATUS(t->mutable_grad() = opt(gradient).value_or(at::Tensor()))
}

// ---- elementwise: tensor op tensor, tensor op scalar, unary -----------------------------------
#define QP_BINARY(name, expr) \
  QP_API qp_tensor qp_##name(qp_tensor a, qp_tensor b) { QP_TENSOR(expr) }
#define QP_BINARY_SCALAR(name, expr) \
  QP_API qp_tensor qp_##name(qp_tensor a, qp_scalar s) { QP_TENSOR(expr) }
#define QP_UNARY(name, expr) \
  QP_API qp_tensor qp_##name(qp_tensor a) { QP_TENSOR(expr) }
#define QP_INPLACE(name, expr) \
  QP_API int32_t qp_##name(qp_tensor a, qp_tensor b) { QP_STATUS(expr) }
#define QP_INPLACE_SCALAR(name, expr) \
  QP_API int32_t qp_##name(qp_tensor a, qp_scalar s) { QP_STATUS(expr) }
#define QP_INPLACE_UNARY(name, expr) \
  QP_API int32_t qp_##name(qp_tensor a) { QP_STATUS(expr) }

QP_API qp_tensor qp_add(qp_tensor a, qp_tensor b, qp_scalar alpha) { QP_TENSOR(at::add(*a, *b, scalar(alpha))) }
QP_API qp_tensor qp_sub(qp_tensor a, qp_tensor b, qp_scalar alpha) { QP_TENSOR(at::sub(*a, *b, scalar(alpha))) }
QP_BINARY(mul, at::mul(*a, *b))
QP_BINARY(div, at::div(*a, *b))
QP_BINARY(matmul, at::matmul(*a, *b))
QP_BINARY(pow, at::pow(*a, *b))
QP_BINARY(maximum, at::maximum(*a, *b))
QP_BINARY(minimum, at::minimum(*a, *b))
QP_BINARY(eq, at::eq(*a, *b))
QP_BINARY(ne, at::ne(*a, *b))
QP_BINARY(lt, at::lt(*a, *b))
QP_BINARY(le, at::le(*a, *b))
QP_BINARY(gt, at::gt(*a, *b))
QP_BINARY(ge, at::ge(*a, *b))
QP_BINARY(logical_and, at::logical_and(*a, *b))
QP_BINARY(logical_or, at::logical_or(*a, *b))

QP_BINARY_SCALAR(add_scalar, at::add(*a, scalar(s)))
QP_BINARY_SCALAR(sub_scalar, at::sub(*a, scalar(s)))
QP_BINARY_SCALAR(rsub_scalar, at::rsub(*a, scalar(s)))
QP_BINARY_SCALAR(mul_scalar, at::mul(*a, scalar(s)))
QP_BINARY_SCALAR(div_scalar, at::div(*a, scalar(s)))
QP_BINARY_SCALAR(pow_scalar, at::pow(*a, scalar(s)))
QP_BINARY_SCALAR(eq_scalar, at::eq(*a, scalar(s)))
QP_BINARY_SCALAR(ne_scalar, at::ne(*a, scalar(s)))
QP_BINARY_SCALAR(lt_scalar, at::lt(*a, scalar(s)))
QP_BINARY_SCALAR(le_scalar, at::le(*a, scalar(s)))
QP_BINARY_SCALAR(gt_scalar, at::gt(*a, scalar(s)))
QP_BINARY_SCALAR(ge_scalar, at::ge(*a, scalar(s)))

QP_UNARY(neg, at::neg(*a))
QP_UNARY(abs, at::abs(*a))
QP_UNARY(sqrt, at::sqrt(*a))
QP_UNARY(rsqrt, at::rsqrt(*a))
QP_UNARY(square, at::square(*a))
QP_UNARY(exp, at::exp(*a))
QP_UNARY(log, at::log(*a))
QP_UNARY(sigmoid, at::sigmoid(*a))
QP_UNARY(tanh, at::tanh(*a))
QP_UNARY(relu, at::relu(*a))
QP_UNARY(reciprocal, at::reciprocal(*a))
QP_UNARY(sign, at::sign(*a))
QP_UNARY(floor, at::floor(*a))
QP_UNARY(ceil, at::ceil(*a))
QP_UNARY(round, at::round(*a))
QP_UNARY(logical_not, at::logical_not(*a))
QP_UNARY(isnan, at::isnan(*a))

QP_API qp_tensor qp_clamp(qp_tensor a, qp_scalar min, qp_scalar max) { QP_TENSOR(at::clamp(*a, opt_scalar(min), opt_scalar(max))) }
QP_API qp_tensor qp_where(qp_tensor condition, qp_tensor a, qp_tensor b) { QP_TENSOR(at::where(*condition, *a, *b)) }
QP_API qp_tensor qp_masked_fill(qp_tensor a, qp_tensor mask, qp_scalar value) { QP_TENSOR(at::masked_fill(*a, *mask, scalar(value))) }

// ---- in place (optimisers, initialisation) ----------------------------------------------------
QP_API int32_t qp_add_(qp_tensor a, qp_tensor b, qp_scalar alpha) { QP_STATUS(a->add_(*b, scalar(alpha))) }
QP_API int32_t qp_sub_(qp_tensor a, qp_tensor b, qp_scalar alpha) { QP_STATUS(a->sub_(*b, scalar(alpha))) }
QP_INPLACE(mul_, a->mul_(*b))
QP_INPLACE(div_, a->div_(*b))
QP_INPLACE(copy_, a->copy_(*b))
QP_INPLACE_SCALAR(add_scalar_, a->add_(scalar(s)))
QP_INPLACE_SCALAR(mul_scalar_, a->mul_(scalar(s)))
QP_INPLACE_SCALAR(div_scalar_, a->div_(scalar(s)))
QP_INPLACE_SCALAR(fill_, a->fill_(scalar(s)))
QP_INPLACE_UNARY(zero_, a->zero_())
QP_INPLACE_UNARY(relu_, a->relu_())
QP_INPLACE_UNARY(sqrt_, a->sqrt_())
QP_INPLACE_UNARY(neg_, a->neg_())
QP_API int32_t qp_addcmul_(qp_tensor a, qp_tensor t1, qp_tensor t2, qp_scalar value) { QP_STATUS(a->addcmul_(*t1, *t2, scalar(value))) }
QP_API int32_t qp_addcdiv_(qp_tensor a, qp_tensor t1, qp_tensor t2, qp_scalar value) { QP_STATUS(a->addcdiv_(*t1, *t2, scalar(value))) }
QP_API int32_t qp_clamp_(qp_tensor a, qp_scalar min, qp_scalar max) { QP_STATUS(a->clamp_(opt_scalar(min), opt_scalar(max))) }
QP_API int32_t qp_uniform_(qp_tensor a, double from, double to) { QP_STATUS(a->uniform_(from, to)) }
QP_API int32_t qp_normal_(qp_tensor a, double mean, double std) { QP_STATUS(a->normal_(mean, std)) }
QP_API int32_t qp_masked_fill_(qp_tensor a, qp_tensor mask, qp_scalar value) { QP_STATUS(a->masked_fill_(*mask, scalar(value))) }

// ---- shape and indexing ------------------------------------------------------------------------
QP_API qp_tensor qp_reshape(qp_tensor t, const int64_t* shape, int64_t n) { QP_TENSOR(t->reshape(ints(shape, n))) }
QP_API qp_tensor qp_view(qp_tensor t, const int64_t* shape, int64_t n) { QP_TENSOR(t->view(ints(shape, n))) }
QP_API qp_tensor qp_expand(qp_tensor t, const int64_t* shape, int64_t n) { QP_TENSOR(t->expand(ints(shape, n))) }
QP_API qp_tensor qp_permute(qp_tensor t, const int64_t* dims, int64_t n) { QP_TENSOR(t->permute(ints(dims, n))) }
QP_API qp_tensor qp_flatten(qp_tensor t, int64_t start, int64_t end) { QP_TENSOR(t->flatten(start, end)) }
QP_API qp_tensor qp_transpose(qp_tensor t, int64_t d0, int64_t d1) { QP_TENSOR(t->transpose(d0, d1)) }
QP_API qp_tensor qp_squeeze(qp_tensor t, int64_t dim) { QP_TENSOR(t->squeeze(dim)) }
QP_API qp_tensor qp_unsqueeze(qp_tensor t, int64_t dim) { QP_TENSOR(t->unsqueeze(dim)) }
QP_API qp_tensor qp_narrow(qp_tensor t, int64_t dim, int64_t start, int64_t length) { QP_TENSOR(t->narrow(dim, start, length)) }
QP_API qp_tensor qp_slice(qp_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) { QP_TENSOR(t->slice(dim, start, end, step)) }
QP_API qp_tensor qp_select(qp_tensor t, int64_t dim, int64_t index) { QP_TENSOR(t->select(dim, index)) }
QP_API qp_tensor qp_index_select(qp_tensor t, int64_t dim, qp_tensor index) { QP_TENSOR(t->index_select(dim, *index)) }
QP_API qp_tensor qp_gather(qp_tensor t, int64_t dim, qp_tensor index) { QP_TENSOR(t->gather(dim, *index)) }
QP_API qp_tensor qp_masked_select(qp_tensor t, qp_tensor mask) { QP_TENSOR(t->masked_select(*mask)) }
QP_API qp_tensor qp_cat(const qp_tensor* tensors, int64_t n, int64_t dim) { QP_TENSOR(at::cat(tensor_list(tensors, n), dim)) }
QP_API qp_tensor qp_stack(const qp_tensor* tensors, int64_t n, int64_t dim) { QP_TENSOR(at::stack(tensor_list(tensors, n), dim)) }

// ---- reductions --------------------------------------------------------------------------------
QP_API qp_tensor qp_sum(qp_tensor t) { QP_TENSOR(t->sum()) }
QP_API qp_tensor qp_sum_dims(qp_tensor t, const int64_t* dims, int64_t n, int32_t keepdim) { QP_TENSOR(t->sum(ints(dims, n), keepdim != 0)) }
QP_API qp_tensor qp_mean(qp_tensor t) { QP_TENSOR(t->mean()) }
QP_API qp_tensor qp_mean_dims(qp_tensor t, const int64_t* dims, int64_t n, int32_t keepdim) { QP_TENSOR(t->mean(ints(dims, n), keepdim != 0)) }
QP_API qp_tensor qp_std(qp_tensor t, int32_t unbiased) { QP_TENSOR(t->std(unbiased != 0)) }
QP_API qp_tensor qp_std_dims(qp_tensor t, const int64_t* dims, int64_t n, int32_t unbiased, int32_t keepdim) {
  QP_TENSOR(t->std(at::OptionalIntArrayRef(ints(dims, n)), unbiased != 0, keepdim != 0))
}
QP_API qp_tensor qp_var_dims(qp_tensor t, const int64_t* dims, int64_t n, int32_t unbiased, int32_t keepdim) {
  QP_TENSOR(t->var(at::OptionalIntArrayRef(ints(dims, n)), unbiased != 0, keepdim != 0))
}
QP_API qp_tensor qp_norm(qp_tensor t, qp_scalar p) { QP_TENSOR(t->norm(scalar(p))) }
QP_API qp_tensor qp_norm_dims(qp_tensor t, qp_scalar p, const int64_t* dims, int64_t n, int32_t keepdim) {
  QP_TENSOR(t->norm(c10::optional<at::Scalar>(scalar(p)), ints(dims, n), keepdim != 0))
}
QP_UNARY(max, at::max(*a))
QP_UNARY(min, at::min(*a))
QP_API int32_t qp_max_dim(qp_tensor t, int64_t dim, int32_t keepdim, qp_tensor* out_first, qp_tensor* out_second) {
  QP_PAIR(at::max(*t, dim, keepdim != 0))
}
QP_API int32_t qp_min_dim(qp_tensor t, int64_t dim, int32_t keepdim, qp_tensor* out_first, qp_tensor* out_second) {
  QP_PAIR(at::min(*t, dim, keepdim != 0))
}
// has_dim = 0 reduces over every element, as torch.argmax(t) does.
QP_API qp_tensor qp_argmax(qp_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  QP_TENSOR(at::argmax(*t, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
}
QP_API qp_tensor qp_argmin(qp_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  QP_TENSOR(at::argmin(*t, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
}
QP_API int32_t qp_topk(qp_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, qp_tensor* out_first, qp_tensor* out_second) {
  QP_PAIR(at::topk(*t, k, dim, largest != 0, sorted != 0))
}
QP_API int32_t qp_sort(qp_tensor t, int64_t dim, int32_t descending, int32_t stable, qp_tensor* out_first, qp_tensor* out_second) {
  QP_PAIR(at::sort(*t, c10::optional<bool>(stable != 0), dim, descending != 0))
}
QP_API qp_tensor qp_softmax(qp_tensor t, int64_t dim) { QP_TENSOR(at::softmax(*t, dim)) }
QP_API qp_tensor qp_log_softmax(qp_tensor t, int64_t dim) { QP_TENSOR(at::log_softmax(*t, dim)) }

// ---- neural-network functions ------------------------------------------------------------------
QP_API qp_tensor qp_conv2d(qp_tensor input, qp_tensor weight, qp_tensor bias, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation, int64_t groups) {
  QP_TENSOR(at::conv2d(*input, *weight, opt(bias), ints(stride, 2), ints(padding, 2), ints(dilation, 2), groups))
}
QP_API qp_tensor qp_batch_norm(qp_tensor input, qp_tensor weight, qp_tensor bias, qp_tensor running_mean, qp_tensor running_var,
                               int32_t training, double momentum, double eps) {
  QP_TENSOR(at::batch_norm(*input, opt(weight), opt(bias), opt(running_mean), opt(running_var), training != 0, momentum, eps,
                           at::globalContext().userEnabledCuDNN()))
}
// The batch norm kernel's backward pass: (grad_input, grad_weight, grad_bias). With train = 0 it treats running_mean and
// running_var as the statistics the output was normalised with (a synchronised batch norm's, gathered over the ranks).
QP_API int32_t qp_native_batch_norm_backward(qp_tensor grad_out, qp_tensor input, qp_tensor weight, qp_tensor running_mean,
                                             qp_tensor running_var, qp_tensor save_mean, qp_tensor save_invstd, int32_t train,
                                             double eps, qp_tensor* out_input, qp_tensor* out_weight, qp_tensor* out_bias) {
  QP_GUARD(-1, auto r = at::native_batch_norm_backward(*grad_out, *input, opt(weight), opt(running_mean), opt(running_var),
                                                       opt(save_mean), opt(save_invstd), train != 0, eps, {true, true, true});
           *out_input = wrap(std::get<0>(r)); *out_weight = wrap(std::get<1>(r)); *out_bias = wrap(std::get<2>(r)); return 0;)
}
QP_API qp_tensor qp_linear(qp_tensor input, qp_tensor weight, qp_tensor bias) { QP_TENSOR(at::linear(*input, *weight, opt(bias))) }
QP_API qp_tensor qp_max_pool2d(qp_tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                               const int64_t* dilation, int32_t ceil_mode) {
  QP_TENSOR(at::max_pool2d(*input, ints(kernel, 2), ints(stride, 2), ints(padding, 2), ints(dilation, 2), ceil_mode != 0))
}
QP_API qp_tensor qp_avg_pool2d(qp_tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                               int32_t ceil_mode, int32_t count_include_pad) {
  QP_TENSOR(at::avg_pool2d(*input, ints(kernel, 2), ints(stride, 2), ints(padding, 2), ceil_mode != 0, count_include_pad != 0))
}
QP_API qp_tensor qp_adaptive_avg_pool2d(qp_tensor input, const int64_t* output_size) {
  QP_TENSOR(at::adaptive_avg_pool2d(*input, ints(output_size, 2)))
}
QP_API qp_tensor qp_dropout(qp_tensor input, double p, int32_t train) { QP_TENSOR(at::dropout(*input, p, train != 0)) }
QP_API qp_tensor qp_cross_entropy(qp_tensor input, qp_tensor target, qp_tensor weight, int64_t reduction, int64_t ignore_index,
                                  double label_smoothing) {
  QP_TENSOR(at::cross_entropy_loss(*input, *target, opt(weight), reduction, ignore_index, label_smoothing))
}
QP_API qp_tensor qp_nll_loss(qp_tensor input, qp_tensor target, qp_tensor weight, int64_t reduction, int64_t ignore_index) {
  QP_TENSOR(at::nll_loss(*input, *target, opt(weight), reduction, ignore_index))
}
QP_API qp_tensor qp_binary_cross_entropy_with_logits(qp_tensor input, qp_tensor target, int64_t reduction) {
  QP_TENSOR(at::binary_cross_entropy_with_logits(*input, *target, c10::nullopt, c10::nullopt, reduction))
}
QP_API qp_tensor qp_mse_loss(qp_tensor input, qp_tensor target, int64_t reduction) { QP_TENSOR(at::mse_loss(*input, *target, reduction)) }
// scales <= 0 mean "not given": the kernel then derives them from the sizes.
QP_API qp_tensor qp_upsample_bilinear2d(qp_tensor input, const int64_t* output_size, int32_t align_corners, double scale_h, double scale_w) {
  QP_TENSOR(at::upsample_bilinear2d(*input, ints(output_size, 2), align_corners != 0,
                                    scale_h > 0 ? c10::optional<double>(scale_h) : c10::nullopt,
                                    scale_w > 0 ? c10::optional<double>(scale_w) : c10::nullopt))
}
QP_API qp_tensor qp_upsample_nearest2d(qp_tensor input, const int64_t* output_size, double scale_h, double scale_w) {
  QP_TENSOR(at::upsample_nearest2d(*input, ints(output_size, 2),
                                   scale_h > 0 ? c10::optional<double>(scale_h) : c10::nullopt,
                                   scale_w > 0 ? c10::optional<double>(scale_w) : c10::nullopt))
}

// ---- 1-d layers (waveforms: [N, C, L]) --------------------------------------------------------
QP_API qp_tensor qp_conv1d(qp_tensor input, qp_tensor weight, qp_tensor bias, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation, int64_t groups) {
  QP_TENSOR(at::conv1d(*input, *weight, opt(bias), ints(stride, 1), ints(padding, 1), ints(dilation, 1), groups))
}
QP_API qp_tensor qp_max_pool1d(qp_tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                               const int64_t* dilation, int32_t ceil_mode) {
  QP_TENSOR(at::max_pool1d(*input, ints(kernel, 1), ints(stride, 1), ints(padding, 1), ints(dilation, 1), ceil_mode != 0))
}
// F.pad: pad holds (left, right) pairs from the last dimension backwards; mode constant, reflect, replicate or circular;
// has_value = 0 leaves the constant to libtorch (0).
QP_API qp_tensor qp_pad(qp_tensor input, const int64_t* pad, int64_t n, const char* mode, double value, int32_t has_value) {
  QP_TENSOR(at::pad(*input, ints(pad, n), mode, has_value ? c10::optional<double>(value) : c10::nullopt))
}
// scale <= 0 means "not given", as for the 2-d upsampling.
QP_API qp_tensor qp_upsample_nearest1d(qp_tensor input, const int64_t* output_size, double scale) {
  QP_TENSOR(at::upsample_nearest1d(*input, ints(output_size, 1), scale > 0 ? c10::optional<double>(scale) : c10::nullopt))
}
// Zeroes whole channels (dimension 1) per sample: F.dropout1d, F.dropout2d.
QP_API qp_tensor qp_feature_dropout(qp_tensor input, double p, int32_t train) { QP_TENSOR(at::feature_dropout(*input, p, train != 0)) }

// ---- recurrent networks: the whole sequence in one call ----------------------------------------
// params is PyTorch's flat weight list: per layer, per direction, weight_ih, weight_hh[, bias_ih, bias_hh].
QP_API int32_t qp_lstm(qp_tensor input, const qp_tensor* hx, int64_t n_hx, const qp_tensor* params, int64_t n_params, int32_t has_biases,
                       int64_t num_layers, double dropout, int32_t train, int32_t bidirectional, int32_t batch_first,
                       qp_tensor* out_output, qp_tensor* out_h, qp_tensor* out_c) {
  QP_GUARD(-1, auto r = at::lstm(*input, tensor_list(hx, n_hx), tensor_list(params, n_params), has_biases != 0, num_layers, dropout,
                                 train != 0, bidirectional != 0, batch_first != 0);
           *out_output = wrap(std::move(std::get<0>(r))); *out_h = wrap(std::move(std::get<1>(r)));
           *out_c = wrap(std::move(std::get<2>(r))); return 0;)
}
QP_API int32_t qp_gru(qp_tensor input, qp_tensor hx, const qp_tensor* params, int64_t n_params, int32_t has_biases, int64_t num_layers,
                      double dropout, int32_t train, int32_t bidirectional, int32_t batch_first, qp_tensor* out_first, qp_tensor* out_second) {
  QP_PAIR(at::gru(*input, *hx, tensor_list(params, n_params), has_biases != 0, num_layers, dropout, train != 0, bidirectional != 0,
                  batch_first != 0))
}

// ---- inference: oneDNN (mkldnn) layout, memory formats, cuDNN ----------------------------------
// memory_format is a c10::MemoryFormat code: 0 contiguous, 1 preserve, 2 channels_last.
QP_API qp_tensor qp_contiguous_format(qp_tensor t, int32_t memory_format) {
  QP_TENSOR(t->contiguous(static_cast<c10::MemoryFormat>(memory_format)))
}
QP_API int32_t qp_is_contiguous_format(qp_tensor t, int32_t memory_format) {
  return t->is_contiguous(static_cast<c10::MemoryFormat>(memory_format)) ? 1 : 0;
}
QP_API int32_t qp_is_mkldnn(qp_tensor t) { return t->is_mkldnn() ? 1 : 0; }
QP_API qp_tensor qp_to_mkldnn(qp_tensor t) { QP_TENSOR(t->to_mkldnn()) }
QP_API qp_tensor qp_to_dense(qp_tensor t) { QP_TENSOR(t->to_dense()) }
// The weight (an mkldnn tensor) in the blocked layout oneDNN's convolution wants for this geometry, so that
// each call skips the reorder.
QP_API qp_tensor qp_mkldnn_reorder_conv2d_weight(qp_tensor weight, const int64_t* padding, const int64_t* stride,
                                                 const int64_t* dilation, int64_t groups) {
  QP_TENSOR(at::mkldnn_reorder_conv2d_weight(*weight, ints(padding, 2), ints(stride, 2), ints(dilation, 2), groups))
}
// Note libtorch's argument order here: padding before stride.
QP_API qp_tensor qp_mkldnn_convolution(qp_tensor input, qp_tensor weight, qp_tensor bias, const int64_t* padding,
                                       const int64_t* stride, const int64_t* dilation, int64_t groups) {
  QP_TENSOR(at::mkldnn_convolution(*input, *weight, opt(bias), ints(padding, 2), ints(stride, 2), ints(dilation, 2), groups))
}
QP_API int32_t qp_cudnn_is_available() { return at::globalContext().hasCuDNN() ? 1 : 0; }
QP_API void qp_set_cudnn_benchmark(int32_t enabled) { at::globalContext().setBenchmarkCuDNN(enabled != 0); }

// ---- functions written in C#: autograd nodes whose forward and backward passes are callbacks --------
// What torch.autograd.Function is in Python. A callback gets new handles it owns (the inputs, or the outputs' gradients)
// and answers with new handles the shim takes over (nullptr: an undefined tensor, no gradient); it returns 0, or -1
// after qp_set_callback_error. `state` is the C# object's handle: released through `release` when autograd frees the
// node, at once when no graph was recorded, so the C# side never outlives or dangles behind the node.
typedef int32_t (*qp_fn_callback)(void* state, const qp_tensor* in, int64_t n_in, qp_tensor* out, int64_t n_out);
typedef void (*qp_fn_release)(void* state);

namespace {
thread_local std::string callback_error;

struct CallbackState : torch::CustomClassHolder {
  CallbackState(void* state, qp_fn_release release) : state(state), release(release) {}
  ~CallbackState() override { release(state); }
  void* state;
  qp_fn_release release;
};

torch::autograd::variable_list call_back(int64_t callback, void* state, const torch::autograd::variable_list& in, int64_t n_out) {
  std::vector<qp_tensor> handles;
  handles.reserve(in.size());
  for (const auto& t : in) handles.push_back(wrap(t));
  std::vector<qp_tensor> out(static_cast<size_t>(n_out), nullptr);
  auto status = reinterpret_cast<qp_fn_callback>(callback)(state, handles.data(), static_cast<int64_t>(handles.size()), out.data(), n_out);
  torch::autograd::variable_list result;
  for (auto h : out) {
    result.push_back(h != nullptr ? *h : at::Tensor());
    qp_tensor_free(h);
  }
  if (status != 0) throw std::runtime_error(callback_error);
  return result;
}

struct CSharpFunction : torch::autograd::Function<CSharpFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs, int64_t forward,
                                                int64_t backward, int64_t release, int64_t state, int64_t n_outputs) {
    auto holder = c10::make_intrusive<CallbackState>(reinterpret_cast<void*>(state), reinterpret_cast<qp_fn_release>(release));
    ctx->saved_data["state"] = c10::IValue::make_capsule(holder);
    ctx->saved_data["backward"] = backward;
    ctx->saved_data["inputs"] = static_cast<int64_t>(inputs.size());
    return call_back(forward, holder->state, inputs.vec(), n_outputs);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto holder = ctx->saved_data["state"].toCapsule();
    auto n_inputs = ctx->saved_data["inputs"].toInt();
    auto result = call_back(ctx->saved_data["backward"].toInt(), static_cast<CallbackState*>(holder.get())->state, grads, n_inputs);
    // No gradient for forward's other arguments (the callbacks, the state, the count).
    result.resize(static_cast<size_t>(n_inputs) + 5);
    return result;
  }
};
}  // namespace

QP_API void qp_set_callback_error(const char* message) { callback_error = message; }

// Applies a C# function to n_inputs tensors, writing its n_outputs results (each a new handle) to outputs.
QP_API int32_t qp_function_apply(qp_fn_callback forward, qp_fn_callback backward, qp_fn_release release, void* state,
                                 const qp_tensor* inputs, int64_t n_inputs, qp_tensor* outputs, int64_t n_outputs) {
  QP_GUARD(-1, auto results = CSharpFunction::apply(at::TensorList(tensor_list(inputs, n_inputs)), reinterpret_cast<int64_t>(forward),
                                                    reinterpret_cast<int64_t>(backward), reinterpret_cast<int64_t>(release),
                                                    reinterpret_cast<int64_t>(state), n_outputs);
           for (size_t k = 0; k < results.size(); ++k) outputs[k] = wrap(results[k]); return 0;)
}

// ---- distributed: c10d's TCPStore and process groups (gloo; NCCL on CUDA builds) --------------
// A store and a process group are opaque handles (heap intrusive_ptrs), freed by qp_store_free and qp_pg_free.
// Collectives run synchronously (the call waits for the work) and in place; a timeout or a peer that left is an error.
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef QP_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

typedef c10::intrusive_ptr<c10d::Store>* qp_store;
typedef c10::intrusive_ptr<c10d::ProcessGroup>* qp_pg;

// The master (is_master != 0) listens on host:port and waits for world_size - 1 clients; a client retries connecting until the timeout.
QP_API int32_t qp_tcpstore_new(const char* host, int32_t port, int32_t world_size, int32_t is_master, int64_t timeout_ms, qp_store* out) {
  QP_STATUS(TORCH_CHECK(port > 0 && port < 65536, "store port ", port, " is not in 1..65535");
            c10d::TCPStoreOptions o;
            o.port = static_cast<std::uint16_t>(port); o.isServer = is_master != 0;
            o.numWorkers = static_cast<std::size_t>(world_size); o.waitWorkers = true;
            o.timeout = std::chrono::milliseconds(timeout_ms);
            *out = new c10::intrusive_ptr<c10d::Store>(c10::make_intrusive<c10d::TCPStore>(host, o)))
}
// The same store with every key under prefix (torchrun's workers share its agent's store this way).
QP_API int32_t qp_prefixstore_new(const char* prefix, qp_store store, qp_store* out) {
  QP_STATUS(*out = new c10::intrusive_ptr<c10d::Store>(c10::make_intrusive<c10d::PrefixStore>(prefix, *store)))
}
QP_API void qp_store_free(qp_store s) { delete s; }

// Gloo's device: on the named network interface when given (GLOO_SOCKET_IFNAME), else on the address the host name resolves
// to, else the machine's default.
QP_API int32_t qp_pg_gloo_new(qp_store store, int32_t rank, int32_t size, const char* interface_name, const char* hostname, int64_t timeout_ms,
                              qp_pg* out) {
  QP_STATUS(auto o = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
            o->devices.push_back(std::strlen(interface_name) > 0 ? c10d::ProcessGroupGloo::createDeviceForInterface(interface_name)
                                 : std::strlen(hostname) > 0 ? c10d::ProcessGroupGloo::createDeviceForHostname(hostname)
                                                             : c10d::ProcessGroupGloo::createDefaultDevice());
            *out = new c10::intrusive_ptr<c10d::ProcessGroup>(c10::make_intrusive<c10d::ProcessGroupGloo>(*store, rank, size, o)))
}
QP_API int32_t qp_pg_nccl_new(qp_store store, int32_t rank, int32_t size, int64_t timeout_ms, qp_pg* out) {
#ifdef QP_WITH_NCCL
  QP_STATUS(auto o = c10d::ProcessGroupNCCL::Options::create(); o->timeout = std::chrono::milliseconds(timeout_ms);
            *out = new c10::intrusive_ptr<c10d::ProcessGroup>(c10::make_intrusive<c10d::ProcessGroupNCCL>(*store, rank, size, o)))
#else
  (void)store; (void)rank; (void)size; (void)timeout_ms; (void)out;
  last_error = "this libtorch was built without NCCL (a CPU build): use the gloo backend";
  return -1;
#endif
}
QP_API void qp_pg_free(qp_pg pg) { delete pg; }

// Sums one tensor (a flat bucket) over every rank, in place.
QP_API int32_t qp_pg_allreduce_sum(qp_pg pg, qp_tensor t) {
  QP_STATUS(std::vector<at::Tensor> list{*t}; c10d::AllreduceOptions o; o.reduceOp = c10d::ReduceOp::SUM;
            (*pg)->allreduce(list, o)->wait())
}
// Sums each of n tensors over every rank, in place (gloo coalesces them into one exchange).
QP_API int32_t qp_pg_allreduce_coalesced_sum(qp_pg pg, const qp_tensor* tensors, int64_t n) {
  QP_STATUS(auto list = tensor_list(tensors, n); c10d::AllreduceCoalescedOptions o; o.reduceOp = c10d::ReduceOp::SUM;
            (*pg)->allreduce_coalesced(list, o)->wait())
}
// Copies root's tensor into every other rank's, in place.
QP_API int32_t qp_pg_broadcast(qp_pg pg, qp_tensor t, int32_t root) {
  QP_STATUS(std::vector<at::Tensor> list{*t}; c10d::BroadcastOptions o; o.rootRank = root; (*pg)->broadcast(list, o)->wait())
}
QP_API int32_t qp_pg_barrier(qp_pg pg) { QP_STATUS((*pg)->barrier()->wait()) }
