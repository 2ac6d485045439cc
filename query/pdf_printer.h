#ifndef SHOPSTREAM_QUERY_PDF_PRINTER_H_
#define SHOPSTREAM_QUERY_PDF_PRINTER_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace shopstream {

struct PdfPrinterOptions {
  // Debian's wrapper script; it reads /etc/chromium.d and starts
  // /usr/lib/chromium/chromium.
  std::string chromium_path = "/usr/bin/chromium";
  // Renders at once; more are refused with RESOURCE_EXHAUSTED. Each
  // Chromium takes a few hundred MB and a core while it runs.
  int max_concurrent = 2;
  // Wall time of one render, Chromium's start included.
  absl::Duration timeout = absl::Seconds(30);
  // Chromium's own sandbox. It needs user namespaces, which containers often
  // lack; as root Chromium refuses to run sandboxed, so root always runs
  // without.
  bool sandbox = true;
  // Where each render makes its private directory (profile, page, output);
  // empty: $TMPDIR, else /tmp.
  std::string temp_dir;
};

// Prints HTML to PDF with headless Chromium, one process per call: a
// private profile and directory, removed after; a clean environment; a
// process group of its own, killed whole when the call ends or runs out of
// time. The page gets no network: hosts resolve to nothing and every
// connection goes to a proxy that is not there (see pdf_printer.cc).
// Thread-safe.
class PdfPrinter {
 public:
  explicit PdfPrinter(PdfPrinterOptions options);

  // The PDF of `html`. UNAVAILABLE when Chromium is missing, fails or
  // overruns the timeout (the message says which, for the log);
  // RESOURCE_EXHAUSTED when max_concurrent renders are running.
  absl::StatusOr<std::string> Print(absl::string_view html) const;

 private:
  absl::StatusOr<std::string> PrintIn(const std::string& dir,
                                      absl::string_view html) const;

  const PdfPrinterOptions options_;
  mutable std::atomic<int> running_{0};
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_PDF_PRINTER_H_
