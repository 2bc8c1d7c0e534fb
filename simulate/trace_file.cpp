#include "simulate/trace_file.hpp"

#include <istream>
#include <streambuf>

#include <zlib.h>

#include "model/error.hpp"

namespace fwtax {
namespace {

// A read-only streambuf over zlib's gz reader, which also reads uncompressed files as they are.
class GzBuf : public std::streambuf {
 public:
  explicit GzBuf(gzFile f) : f_(f) {}
  bool failed() const { return failed_; }
  // zlib's message without the path it prefixes (the caller names the file).
  std::string error() const {
    auto c = error_.rfind(": ");
    return c == std::string::npos ? error_ : error_.substr(c + 2);
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    int n = gzread(f_, buf_, sizeof buf_);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f_, &code);
      failed_ = true;
      error_ = msg ? msg : "read error";
      return traits_type::eof();
    }
    if (n == 0) {
      int code = 0;
      const char* msg = gzerror(f_, &code);
      if (code != Z_OK && code != Z_STREAM_END) {
        failed_ = true;
        error_ = msg ? msg : "read error";
      }
      return traits_type::eof();
    }
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  gzFile f_;
  char buf_[1 << 16];
  bool failed_ = false;
  std::string error_;
};

}  // namespace

Trace load_trace_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path, "", "cannot open the trace file for reading");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{f};
  gzbuffer(f, 1 << 17);
  GzBuf buf(f);
  std::istream in(&buf);
  try {
    Trace t = read_kineto_trace(in, path);
    if (buf.failed()) throw InputError(path, "", "the compressed stream is damaged: " + buf.error());
    return t;
  } catch (const InputError&) {
    if (buf.failed()) throw InputError(path, "", "the compressed stream is damaged or truncated: " + buf.error());
    throw;
  }
}

}  // namespace fwtax
