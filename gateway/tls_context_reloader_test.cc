#include "gateway/tls_context_reloader.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A directory of self-signed pairs made by the openssl command line, each
// named after its certificate's common name; removed with the object.
class CertificateDir {
 public:
  CertificateDir() {
    char dir_template[] = "/tmp/shopstream-reload-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = dir_template;
  }
  ~CertificateDir() { fs::remove_all(dir_); }

  // Makes <name>.pem and <name>.key, the certificate's common name `name`.
  void MakePair(const std::string& name) {
    const std::string command = absl::StrCat(
        "cd ", dir_,
        " && openssl req -x509 -newkey ec -pkeyopt "
        "ec_paramgen_curve:prime256v1 -nodes -days 1 -keyout ",
        name, ".key -out ", name, ".pem -subj /CN=", name, " >/dev/null 2>&1");
    if (system(command.c_str()) != 0) {
      throw std::runtime_error("openssl failed for " + name);
    }
  }
  // Overwrites `to` with the bytes of `from`, in place, as `cp` would.
  void Copy(const std::string& from, const std::string& to) {
    fs::copy_file(path(from), path(to), fs::copy_options::overwrite_existing);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// The common name of the certificate a context presents.
std::string CommonName(boost::asio::ssl::context& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name,
                            sizeof(name));
  return name;
}

class TlsContextReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.MakePair("first");
    dir_.MakePair("second");
    dir_.Copy("first.pem", "tls.crt");
    dir_.Copy("first.key", "tls.key");
  }

  std::unique_ptr<TlsContextReloader> Load(absl::Duration check_interval,
                                           const Clock& clock = Clock::Real()) {
    auto reloader = TlsContextReloader::Load(
        dir_.path("tls.crt"), dir_.path("tls.key"), check_interval, clock);
    if (!reloader.ok()) throw std::runtime_error(reloader.status().ToString());
    return *std::move(reloader);
  }

  CertificateDir dir_;
};

TEST_F(TlsContextReloaderTest, NewConnectionsGetARenewedCertificate) {
  auto reloader = Load(absl::ZeroDuration());
  auto before = reloader->Current();
  EXPECT_EQ(CommonName(*before), "first");
  // Nothing changed: the same context.
  EXPECT_EQ(reloader->Current(), before);

  dir_.Copy("second.pem", "tls.crt");
  dir_.Copy("second.key", "tls.key");
  auto after = reloader->Current();
  ASSERT_NE(after, before);
  EXPECT_EQ(CommonName(*after), "second");
  EXPECT_EQ(reloader->reloads(), 1);
  EXPECT_EQ(reloader->Current(), after);
  // A connection that shook hands before keeps its context.
  EXPECT_EQ(CommonName(*before), "first");
}

TEST_F(TlsContextReloaderTest, KeepsThePreviousPairUntilTheNewOneMatches) {
  auto reloader = Load(absl::ZeroDuration());
  auto before = reloader->Current();

  // The certificate is renewed first; its key is not there yet.
  dir_.Copy("second.pem", "tls.crt");
  EXPECT_EQ(reloader->Current(), before);
  EXPECT_EQ(reloader->Current(), before);
  EXPECT_EQ(reloader->reloads(), 0);

  dir_.Copy("second.key", "tls.key");
  EXPECT_EQ(CommonName(*reloader->Current()), "second");
  EXPECT_EQ(reloader->reloads(), 1);
}

TEST_F(TlsContextReloaderTest, LooksAtTheFilesOncePerInterval) {
  FakeClock clock;
  auto reloader = Load(absl::Minutes(1), clock);
  auto before = reloader->Current();
  dir_.Copy("second.pem", "tls.crt");
  dir_.Copy("second.key", "tls.key");
  clock.Advance(absl::Seconds(59));
  EXPECT_EQ(reloader->Current(), before);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(CommonName(*reloader->Current()), "second");
}

// A Kubernetes secret volume: the files are symlinks through "..data", which
// is pointed at a new directory when the secret changes.
TEST_F(TlsContextReloaderTest, FollowsASecretVolumeSwappedBySymlink) {
  fs::create_directory(dir_.path("v1"));
  fs::create_directory(dir_.path("v2"));
  dir_.Copy("first.pem", "v1/tls.crt");
  dir_.Copy("first.key", "v1/tls.key");
  dir_.Copy("second.pem", "v2/tls.crt");
  dir_.Copy("second.key", "v2/tls.key");
  fs::create_directory_symlink("v1", dir_.path("..data"));
  fs::create_symlink("..data/tls.crt", dir_.path("secret.crt"));
  fs::create_symlink("..data/tls.key", dir_.path("secret.key"));
  auto reloader = TlsContextReloader::Load(
      dir_.path("secret.crt"), dir_.path("secret.key"), absl::ZeroDuration());
  ASSERT_TRUE(reloader.ok()) << reloader.status();
  EXPECT_EQ(CommonName(*(*reloader)->Current()), "first");

  fs::create_directory_symlink("v2", dir_.path("..data_tmp"));
  fs::rename(dir_.path("..data_tmp"), dir_.path("..data"));
  EXPECT_EQ(CommonName(*(*reloader)->Current()), "second");
}

TEST_F(TlsContextReloaderTest, LoadNamesTheFileItCannotUse) {
  auto missing = TlsContextReloader::Load(
      dir_.path("tls.crt"), dir_.path("none.key"), absl::Seconds(10));
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr("--tls_key_file"));
  dir_.Copy("second.key", "tls.key");
  auto mismatched = TlsContextReloader::Load(
      dir_.path("tls.crt"), dir_.path("tls.key"), absl::Seconds(10));
  EXPECT_TRUE(absl::IsInvalidArgument(mismatched.status()));
  // OpenSSL refuses a key that does not match the certificate as it loads it.
  EXPECT_THAT(mismatched.status().message(), HasSubstr("--tls_key_file"));
}

}  // namespace
}  // namespace shopstream::gateway
