#pragma once
// Writing simulation results: a long table, a batch-by-configuration matrix, CSV, JSON, and the
// predicted timelines as a Chrome trace (Perfetto, chrome://tracing).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "simulate/sweep.hpp"

namespace fwtax {

void write_table(std::ostream& out, const std::vector<ResultRow>& rows);
void write_matrix(std::ostream& out, const std::vector<ResultRow>& rows);
void write_csv(std::ostream& out, const std::vector<ResultRow>& rows);
// A CSV cell of a size that applies to some models only (seq, image): empty where it does not apply.
std::string csv_size(long long v);
// One JSON array, one object per configuration (SI units), deterministic.
void write_json(std::ostream& out, const std::vector<ResultRow>& rows);
Json row_to_json(const ResultRow& r);
void write_breakdown(std::ostream& out, const ResultRow& r);
// One Chrome trace holding every configuration's timeline: a host and a GPU process per configuration.
void write_chrome_trace(std::ostream& out, const std::vector<TimelineRun>& runs);

// Cells padded to columns two spaces apart; columns [right_from, right_until) are right-aligned
// (numbers), the others left-aligned.
void write_columns(std::ostream& out, const std::vector<std::vector<std::string>>& cells, std::size_t right_from,
                   std::size_t right_until = SIZE_MAX);
// "seq 128", "image 224": the input size of a configuration, saying which it is ("-": neither).
std::string size_label(long long seq, long long image);

// "12.3 ms", "850 us": a duration for people.
std::string format_duration(double seconds);
// One number through a printf format ("%.1f%%", "%g").
std::string format_number(const char* printf_format, double v);

}  // namespace fwtax
