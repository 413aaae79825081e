// The C ABI over libtorch that QuakePrune.Torch binds to. Kept thin: one function per libtorch call,
// every C++ exception caught and turned into a message the C# side raises as a managed exception.
#include <torch/torch.h>

#define QP_API extern "C" __attribute__((visibility("default")))

QP_API const char* qp_torch_version() { return TORCH_VERSION; }
