// fwtax-probe-cuda: raw CUDA and cuBLAS microbenchmarks, printed as one JSON object in the format of
// ../shared/data/h100-2026-11/microbench.json (env, ceilings, raw_cuda), so that the same fit turns
// either into a device profile. Without a GPU it says so and exits 2.
//
// Measured: host time of cudaLaunchKernel; launch + synchronize round trip; GPU time per kernel and
// host time per launch of CUDA graphs of 1, 10, 100, 1000 empty kernels; 4-byte memcpy latencies;
// device-to-device copy bandwidth; an elementwise add over sizes (graph replay, so launch gaps are
// excluded); cuBLAS GEMMs in fp32, tf32, fp16 and bf16 over square and transformer shapes, with
// weights rotated through enough buffers to come from DRAM rather than L2.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

#define CHECK_CUDA(x)                                                                       \
  do {                                                                                      \
    cudaError_t probe_err_ = (x);                                                           \
    if (probe_err_ != cudaSuccess) {                                                        \
      std::fprintf(stderr, "fwtax-probe-cuda: %s failed: %s\n", #x, cudaGetErrorString(probe_err_)); \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (0)

__global__ void empty_kernel() {}
__global__ void add_kernel(const float* a, const float* b, float* c, long n) {
  long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}
// Three more small kernels, so that a graph can run different kernels one after another as a model
// does (a sequence of identical kernels hides part of the per-kernel cost).
__global__ void scale_kernel(const float* a, float* c, long n) {
  long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = a[i] * 1.0001f;
}
__global__ void relu_kernel(float* c, long n) {
  long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = fmaxf(c[i], 0.0f);
}
__global__ void axpy_kernel(const float* a, float* c, long n) {
  long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] += 0.5f * a[i];
}

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// GPU seconds of fn() measured with events around `calls` calls, median of 5 repetitions.
template <typename F>
double gpu_time(F fn, int calls, cudaStream_t s) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  std::vector<double> t;
  fn();
  CHECK_CUDA(cudaStreamSynchronize(s));
  for (int r = 0; r < 5; ++r) {
    CHECK_CUDA(cudaEventRecord(a, s));
    for (int i = 0; i < calls; ++i) fn();
    CHECK_CUDA(cudaEventRecord(b, s));
    CHECK_CUDA(cudaEventSynchronize(b));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms * 1e-3 / calls);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return median(t);
}

// A graph of k launches of fn captured on s; returns (GPU seconds per kernel, host seconds per launch).
template <typename F>
std::pair<double, double> graph_time(F fn, int k, cudaStream_t s) {
  cudaGraph_t g;
  cudaGraphExec_t e;
  CHECK_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (int i = 0; i < k; ++i) fn();
  CHECK_CUDA(cudaStreamEndCapture(s, &g));
  CHECK_CUDA(cudaGraphInstantiate(&e, g, 0));
  CHECK_CUDA(cudaGraphLaunch(e, s));
  CHECK_CUDA(cudaStreamSynchronize(s));
  double gpu = gpu_time([&] { cudaGraphLaunch(e, s); }, 20, s) / k;
  std::vector<double> host;
  for (int r = 0; r < 20; ++r) {
    auto t0 = Clock::now();
    cudaGraphLaunch(e, s);
    host.push_back(seconds(t0, Clock::now()));
    CHECK_CUDA(cudaStreamSynchronize(s));
  }
  cudaGraphExecDestroy(e);
  cudaGraphDestroy(g);
  return {gpu, median(host)};
}

// --progress: one line on stderr per stage, rewritten in place, with the time so far.
bool g_progress = false;
Clock::time_point g_start;
void progress(int step, int steps, const std::string& what) {
  if (!g_progress) return;
  std::fprintf(stderr, "\r\033[K[%d/%d] %-36s %4.0f s", step, steps, what.c_str(), seconds(g_start, Clock::now()));
  std::fflush(stderr);
}

std::string j(double v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--progress") g_progress = true;
    else {
      std::fprintf(stderr, "fwtax-probe-cuda: unknown argument %s (takes --quick, --progress)\n", a.c_str());
      return 2;
    }
  }
  g_start = Clock::now();
  const int steps = 7;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::fprintf(stderr, "fwtax-probe-cuda: no CUDA GPU found on this machine (cudaGetDeviceCount)\n");
    return 2;
  }
  cudaDeviceProp p;
  CHECK_CUDA(cudaGetDeviceProperties(&p, 0));
  int driver = 0, runtime = 0, clock_khz = 0, mem_clock_khz = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0);
  cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaStream_t s;
  CHECK_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  std::string out = "{\n \"schema\": \"fwtax.microbench.cuda/1\",\n \"env\": {\"gpu\": \"" + std::string(p.name) +
                    "\", \"sm_count\": " +
                    std::to_string(p.multiProcessorCount) + ", \"compute_capability\": \"" + std::to_string(p.major) + "." +
                    std::to_string(p.minor) + "\", \"gpu_mem_bytes\": " + j(static_cast<double>(p.totalGlobalMem)) +
                    ", \"cuda_driver\": " + std::to_string(driver) + ", \"cuda_runtime\": " + std::to_string(runtime) +
                    ", \"sm_clock_khz\": " + std::to_string(clock_khz) + ", \"mem_clock_khz\": " +
                    std::to_string(mem_clock_khz) + ", \"quick\": " + (quick ? "true" : "false") + "},\n";

  // raw_cuda
  progress(1, steps, "kernel launch and sync");
  for (int i = 0; i < 100; ++i) empty_kernel<<<1, 1, 0, s>>>();
  CHECK_CUDA(cudaStreamSynchronize(s));
  int n = quick ? 2000 : 20000;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) empty_kernel<<<1, 1, 0, s>>>();
  double launch = seconds(t0, Clock::now()) / n;
  CHECK_CUDA(cudaStreamSynchronize(s));
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) empty_kernel<<<1, 1, 0, s>>>();
  CHECK_CUDA(cudaStreamSynchronize(s));
  double drain = seconds(t0, Clock::now()) / n;
  std::vector<double> rt;
  for (int i = 0; i < 200; ++i) {
    auto a = Clock::now();
    empty_kernel<<<1, 1, 0, s>>>();
    cudaStreamSynchronize(s);
    rt.push_back(seconds(a, Clock::now()));
  }
  out += " \"raw_cuda\": {\"launch_host_us\": " + j(launch * 1e6) + ", \"stream_tiny_kernel_us_per_kernel\": " +
         j(drain * 1e6) + ", \"launch_sync_roundtrip_us\": " + j(median(rt) * 1e6);
  for (int k : {1, 10, 100, 1000}) {
    auto [gpu, host] = graph_time([&] { empty_kernel<<<1, 1, 0, s>>>(); }, k, s);
    out += ", \"graph_K" + std::to_string(k) + "_gpu_us_per_kernel\": " + j(gpu * 1e6) + ", \"graph_K" +
           std::to_string(k) + "_host_us_per_launch\": " + j(host * 1e6);
  }
  void *dev4, *host4;
  CHECK_CUDA(cudaMalloc(&dev4, 4));
  CHECK_CUDA(cudaMallocHost(&host4, 4));
  std::vector<double> d2h, h2d;
  for (int i = 0; i < 200; ++i) {
    auto a = Clock::now();
    cudaMemcpy(host4, dev4, 4, cudaMemcpyDeviceToHost);
    auto b = Clock::now();
    cudaMemcpy(dev4, host4, 4, cudaMemcpyHostToDevice);
    d2h.push_back(seconds(a, b));
    h2d.push_back(seconds(b, Clock::now()));
  }
  out += ", \"memcpy_d2h_4B_us\": " + j(median(d2h) * 1e6) + ", \"memcpy_h2d_4B_us\": " + j(median(h2d) * 1e6) + "},\n";

  // ceilings: copy bandwidth, add sweep, GEMM sweep
  progress(2, steps, "copy bandwidth, elementwise sweep");
  size_t big = quick ? (size_t{1} << 26) : (size_t{1} << 28);
  float *a, *b, *c;
  CHECK_CUDA(cudaMalloc(&a, big * 4));
  CHECK_CUDA(cudaMalloc(&b, big * 4));
  CHECK_CUDA(cudaMalloc(&c, big * 4));
  double copy = gpu_time([&] { cudaMemcpyAsync(b, a, big * 4, cudaMemcpyDeviceToDevice, s); }, 10, s);
  out += " \"ceilings\": {\"copy_bytes\": " + j(2.0 * big * 4) + ", \"copy_s\": " + j(copy) + ", \"copy_bw_Bps\": " +
         j(2.0 * big * 4 / copy) + ", \"add_fp32_sweep\": [";
  bool first = true;
  for (size_t e = 256; e <= big; e *= 4) {
    long ne = static_cast<long>(e);
    auto [gpu, host] = graph_time([&] { add_kernel<<<(ne + 255) / 256, 256, 0, s>>>(a, b, c, ne); }, 20, s);
    (void)host;
    out += std::string(first ? "" : ", ") + "{\"elements\": " + std::to_string(e) + ", \"bytes_moved\": " +
           j(3.0 * e * 4) + ", \"kernel_s\": " + j(gpu) + "}";
    first = false;
  }
  // A small size as a graph of identical adds and as a graph cycling through four different kernels:
  // the difference is the gap a model's graph pays between kernels.
  out += "], \"graph_mix\": [";
  first = true;
  for (long ne : {65536L, 1048576L}) {
    int blocks = static_cast<int>((ne + 255) / 256);
    double same = graph_time([&] { add_kernel<<<blocks, 256, 0, s>>>(a, b, c, ne); }, 200, s).first;
    int which = 0;
    double mixed = graph_time([&] {
      switch (which++ % 4) {
        case 0: add_kernel<<<blocks, 256, 0, s>>>(a, b, c, ne); break;
        case 1: scale_kernel<<<blocks, 256, 0, s>>>(c, b, ne); break;
        case 2: relu_kernel<<<blocks, 256, 0, s>>>(b, ne); break;
        default: axpy_kernel<<<blocks, 256, 0, s>>>(b, c, ne); break;
      }
    }, 200, s).first;
    out += std::string(first ? "" : ", ") + "{\"elements\": " + std::to_string(ne) + ", \"same_kernel_s\": " + j(same) +
           ", \"mixed_kernel_s\": " + j(mixed) + "}";
    first = false;
  }
  out += "], \"gemm_sweep\": [";
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "fwtax-probe-cuda: cublasCreate failed\n");
    return 1;
  }
  cublasSetStream(h, s);
  void* workspace = nullptr;
  CHECK_CUDA(cudaMalloc(&workspace, 32 << 20));
  cublasSetWorkspace(h, workspace, 32 << 20);
  struct Type {
    const char* name;
    cudaDataType_t data;
    cublasComputeType_t compute;
    int bytes;
  };
  const Type types[] = {{"fp32", CUDA_R_32F, CUBLAS_COMPUTE_32F, 4},
                        {"tf32", CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, 4},
                        {"fp16", CUDA_R_16F, CUBLAS_COMPUTE_32F, 2},
                        {"bf16", CUDA_R_16BF, CUBLAS_COMPUTE_32F, 2}};
  std::vector<std::array<long, 3>> shapes;
  for (long sq : {256, 512, 1024, 2048, 4096}) shapes.push_back({sq, sq, sq});
  if (!quick) shapes.push_back({8192, 8192, 8192});
  for (long m : {1, 8, 32, 128, 512, 2048, 8192}) shapes.push_back({m, 768, 768});
  for (long m : {1, 32, 128, 2048, 8192}) shapes.push_back({m, 3072, 768});
  for (long m : {1, 32, 128, 2048, 8192}) shapes.push_back({m, 768, 3072});
  first = true;
  int step = 3;
  for (const auto& t : types) {
    progress(step++, steps, std::string("GEMM sweep ") + t.name);
    for (const auto& shape : shapes) {
      const long m = shape[0], nn = shape[1], k = shape[2];
      // Rotate weights through ~200 MB so that they come from DRAM.
      size_t wbytes = static_cast<size_t>(nn) * k * t.bytes;
      int nbuf = std::max<int>(1, std::min<int>({64, static_cast<int>(200e6 / wbytes), static_cast<int>(big * 4 / wbytes)}));
      char* base = reinterpret_cast<char*>(a);
      char* wbase = reinterpret_cast<char*>(b);
      char* out_c = reinterpret_cast<char*>(c);
      float alpha = 1, beta = 0;
      int i = 0;
      auto gemm = [&] {
        cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(nn), static_cast<int>(m), static_cast<int>(k), &alpha,
                     wbase + (i++ % nbuf) * wbytes, t.data, static_cast<int>(nn), base, t.data,
                     static_cast<int>(k), &beta, out_c, t.data, static_cast<int>(nn), t.compute, CUBLAS_GEMM_DEFAULT);
      };
      double flops = 2.0 * m * nn * k;
      int calls = static_cast<int>(std::max(5.0, std::min(200.0, 2e12 / flops)));
      double sec = gpu_time(gemm, calls, s);
      out += std::string(first ? "" : ", ") + "{\"dtype\": \"" + t.name + "\", \"m\": " + std::to_string(m) +
             ", \"n\": " + std::to_string(nn) + ", \"k\": " + std::to_string(k) + ", \"kernel_s\": " + j(sec) +
             ", \"flops\": " + j(flops) + ", \"tflops\": " + j(flops / sec / 1e12) + "}";
      first = false;
    }
  }
  out += "]}\n}\n";
  progress(steps, steps, "done");
  if (g_progress) std::fprintf(stderr, "\r\033[K");
  std::fputs(out.c_str(), stdout);
  return 0;
}
