#include "probe/health_probe.h"

#include <grpcpp/grpcpp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace shopstream::probe {

namespace beast = boost::beast;
namespace http = beast::http;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

absl::Status CheckGrpcHealth(const std::string& target,
                             const std::string& service, absl::Duration timeout,
                             const GrpcProbeOptions& options) {
  grpc::ChannelArguments args;
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(
      target,
      options.credentials != nullptr ? options.credentials
                                     : grpc::InsecureChannelCredentials(),
      args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  const std::string asked =
      service.empty() ? target : absl::StrCat(target, " service ", service);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(
        asked, ": health check failed: ", status.error_message(),
        " (gRPC code ", static_cast<int>(status.error_code()), ")"));
  }
  if (response.status() != HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(
        asked, ": ",
        HealthCheckResponse::ServingStatus_Name(response.status())));
  }
  return absl::OkStatus();
}

absl::Status CheckHttpGet(const std::string& host_port_path,
                          absl::Duration timeout) {
  const size_t slash = host_port_path.find('/');
  const std::string authority = host_port_path.substr(0, slash);
  const std::string path =
      slash == std::string::npos ? "/" : host_port_path.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      colon + 1 == authority.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http_get: want host:port/path, got \"", host_port_path, "\""));
  }
  const std::string host = authority.substr(0, colon);
  const std::string port = authority.substr(colon + 1);
  // Asynchronous, because beast's stream deadline bounds only asynchronous
  // operations: a synchronous read waits forever on a hung server, whose
  // connections the kernel still accepts.
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, authority);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code failure;
  boost::asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, port, failure);
  if (!failure) {
    stream.expires_after(absl::ToChronoMilliseconds(timeout));
    stream.async_connect(endpoints, [&](beast::error_code ec, const auto&) {
      if (ec) {
        failure = ec;
        return;
      }
      http::async_write(stream, request, [&](beast::error_code ec, size_t) {
        if (ec) {
          failure = ec;
          return;
        }
        http::async_read(stream, buffer, response,
                         [&](beast::error_code ec, size_t) { failure = ec; });
      });
    });
    io.run();
  }
  if (failure == beast::error::timeout) {
    return absl::UnavailableError(absl::StrCat("GET ", host_port_path,
                                               ": no answer within ",
                                               absl::FormatDuration(timeout)));
  }
  if (failure) {
    return absl::UnavailableError(
        absl::StrCat("GET ", host_port_path, ": ", failure.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                           ignored);
  const unsigned code = response.result_int();
  if (code < 200 || code >= 300) {
    return absl::UnavailableError(absl::StrCat(
        "GET ", host_port_path, ": HTTP ", code, " ", response.body()));
  }
  return absl::OkStatus();
}

}  // namespace shopstream::probe
