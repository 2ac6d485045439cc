#ifndef SHOPSTREAM_QUERY_CSV_TEST_READER_H_
#define SHOPSTREAM_QUERY_CSV_TEST_READER_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace shopstream::testing {

// A strict RFC 4180 reader, independent of the writer, so the tests check
// that what is written reads back, not how it is spelled.
inline std::vector<std::vector<std::string>> ParseCsv(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "CSV must end with CRLF";
  return rows;
}

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_QUERY_CSV_TEST_READER_H_
