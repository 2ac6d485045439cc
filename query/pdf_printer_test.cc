// Real Chromium where it matters (the PDF, the network), and small shell
// scripts in its place where the test needs a Chromium that hangs, fails or
// waits. Every render is bounded by the printer's own timeout.
#include "query/pdf_printer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

constexpr char kChromium[] = "/usr/bin/chromium";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class PdfPrinterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/pdf-printer-XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    renders_ = dir_ + "/renders";
    std::filesystem::create_directory(renders_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PdfPrinterOptions Options(const std::string& chromium = kChromium) {
    PdfPrinterOptions options;
    options.chromium_path = chromium;
    options.temp_dir = renders_;
    options.timeout = absl::Seconds(60);
    return options;
  }

  // A stand-in for Chromium: `body` run by /bin/sh.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = absl::StrCat(dir_, "/", name);
    Write(path, absl::StrCat("#!/bin/sh\n", body, "\n"));
    chmod(path.c_str(), 0755);
    return path;
  }

  // Processes whose command line mentions `text`.
  static int ProcessesMentioning(const std::string& text) {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = Slurp(entry.path().string() + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (cmdline.find(text) != std::string::npos) ++n;
    }
    return n;
  }

  // What pdftotext reads in `pdf`.
  std::string PdfText(const std::string& pdf) {
    const std::string in = dir_ + "/out.pdf", out = dir_ + "/out.txt";
    Write(in, pdf);
    const int rc = std::system(
        absl::StrCat("timeout 60 pdftotext -layout ", in, " ", out).c_str());
    EXPECT_EQ(rc, 0) << "pdftotext (Debian's poppler-utils) failed";
    return Slurp(out);
  }

  bool RendersLeftNothing() const {
    return std::filesystem::is_empty(renders_) &&
           ProcessesMentioning(renders_) == 0;
  }

  std::string dir_, renders_;
};

TEST_F(PdfPrinterTest, ChromiumPrintsWhatPdftotextReadsBack) {
  PdfPrinter printer(Options());
  absl::StatusOr<std::string> pdf = printer.Print(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
      "@page { size: A4; }</style></head><body><h1>Shop report: caf&eacute; "
      "&lt;one&gt;</h1><p>Revenue 12,345.60</p></body></html>");
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(pdf->substr(0, 5), "%PDF-");
  const std::string text = PdfText(*pdf);
  EXPECT_THAT(text, HasSubstr("Shop report: café <one>"));
  EXPECT_THAT(text, HasSubstr("Revenue 12,345.60"));
  // No file:// header or date in the margins.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("file://")));
  EXPECT_TRUE(RendersLeftNothing());
}

TEST_F(PdfPrinterTest, ThePageReachesNoNetworkNotEvenLoopback) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(listen(listener, 16), 0);
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = absl::StrCat(ntohs(address.sin_port));

  PdfPrinter printer(Options());
  // No Content-Security-Policy here: the printer alone must hold.
  absl::StatusOr<std::string> pdf = printer.Print(absl::StrReplaceAll(
      "<!DOCTYPE html><html><head>"
      "<link rel=\"stylesheet\" href=\"http://127.0.0.1:PORT/style.css\">"
      "<link rel=\"stylesheet\" href=\"http://localhost:PORT/other.css\">"
      "</head><body><p>offline</p>"
      "<img src=\"http://127.0.0.1:PORT/pixel.png\">"
      "<iframe src=\"http://[::1]:PORT/frame\"></iframe>"
      "<img src=\"https://example.com/logo.png\"></body></html>",
      {{"PORT", port}}));
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_THAT(PdfText(*pdf), HasSubstr("offline"));
  pollfd pending{.fd = listener, .events = POLLIN, .revents = 0};
  EXPECT_EQ(poll(&pending, 1, 0), 0)
      << "the page connected to 127.0.0.1:" << port;
  close(listener);
  EXPECT_TRUE(RendersLeftNothing());
}

TEST_F(PdfPrinterTest, AnOverrunIsKilledWithEverythingItStarted) {
  // A unique argument, to find the stand-in's processes by.
  const std::string marker = absl::StrCat(800000 + getpid());
  PdfPrinterOptions options = Options(
      Script("hanging-chromium",
             absl::StrCat("sleep ", marker, " &\nsleep ", marker, "\n")));
  options.timeout = absl::Seconds(1);
  PdfPrinter printer(options);
  absl::StatusOr<std::string> pdf = printer.Print("<p>never</p>");
  EXPECT_EQ(pdf.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(pdf.status().message(), HasSubstr("no PDF within 1s"));
  EXPECT_EQ(ProcessesMentioning("sleep " + marker), 0);
  EXPECT_TRUE(RendersLeftNothing());
}

TEST_F(PdfPrinterTest, ChromiumMissingOrFailingIsUnavailable) {
  PdfPrinter missing(Options(dir_ + "/no-such-chromium"));
  EXPECT_EQ(missing.Print("<p>x</p>").status().code(),
            absl::StatusCode::kUnavailable);

  PdfPrinter failing(
      Options(Script("failing", "echo 'out of luck' >&2\nexit 3")));
  absl::StatusOr<std::string> failed = failing.Print("<p>x</p>");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("exited with status 3"));
  EXPECT_THAT(failed.status().message(), HasSubstr("out of luck"));

  PdfPrinter silent(Options(Script("silent", "exit 0")));
  EXPECT_THAT(silent.Print("<p>x</p>").status().message(),
              HasSubstr("without a PDF"));
  EXPECT_TRUE(RendersLeftNothing());
}

TEST_F(PdfPrinterTest, RendersBeyondTheLimitAreRefusedAtOnce) {
  const std::string started = dir_ + "/started", release = dir_ + "/release";
  PdfPrinterOptions options =
      Options(Script("waiting-chromium",
                     absl::StrCat("touch ", started, "\nwhile [ ! -e ", release,
                                  " ]; do sleep 0.05; done\nexit 1")));
  options.max_concurrent = 1;
  options.timeout = absl::Seconds(60);
  PdfPrinter printer(options);
  absl::StatusOr<std::string> first;
  std::thread render([&] { first = printer.Print("<p>first</p>"); });
  // The first render holds the one slot once its stand-in runs.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(started) &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(started));
  absl::StatusOr<std::string> second = printer.Print("<p>second</p>");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(),
              HasSubstr("report: this server renders at most 1 at once"));
  Write(release, "");
  render.join();
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  // The slot is free again.
  EXPECT_THAT(printer.Print("<p>third</p>").status().message(),
              HasSubstr("exited with status 1"));
  EXPECT_TRUE(RendersLeftNothing());
}

}  // namespace
}  // namespace shopstream
