#pragma once
// What both libtorch executables record about the machine they measured: CPU model, cores,
// frequency governor, the time of the run (UTC) and the threads ATen and OpenBLAS use.
#include <malloc.h>

#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace fwtax::probe {

inline std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

inline std::string read_governor() {
  std::ifstream in("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  std::string g;
  if (in >> g) return g;
  return "unknown (no cpufreq)";
}

inline std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// glibc keeps freed memory for reuse, as a caching allocator does (jemalloc, tcmalloc, PyTorch's
// own allocator on GPUs): large tensors come from the heap, not from mmap, and its free top is kept
// up to 1 GiB instead of going back to the OS and being faulted in again page by page. Both
// executables measure this way, so that a profile and the runs it predicts agree; what glibc's
// default trimming adds is the operating system's paging, which fwtax does not model.
inline const char* keep_freed_memory() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return "glibc malloc keeping freed memory (M_MMAP_MAX 0, M_TRIM_THRESHOLD 1 GiB), as a caching allocator would";
}

// `threads`: ATen's intra-op threads (OpenBLAS is given the same number).
inline nlohmann::json machine_env(const std::string& torch_version, int threads) {
  return {{"torch", torch_version},          {"torch_threads", threads},
          {"openblas_threads", threads},     {"cpu_model", read_cpu_model()},
          {"cores", std::thread::hardware_concurrency()}, {"governor", read_governor()},
          {"date_utc", utc_now()}};
}

}  // namespace fwtax::probe
