// shopstream-openapi: writes the OpenAPI document of the REST API that
// shopstream-gateway serves, from the same annotations and route table.
//   shopstream-openapi --out=build/openapi.json

#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "common/flags.h"
#include "common/metrics.h"
#include "gateway/openapi.h"
#include "gateway/route_table.h"

ABSL_FLAG(std::string, out, "", "File to write; stdout when empty.");

int main(int argc, char** argv) {
  shopstream::ParseFlagsAndEnvironment(argc, argv);
  absl::StatusOr<shopstream::gateway::RouteTable> routes =
      shopstream::gateway::RouteTable::Build(
          shopstream::gateway::PublicServiceNames());
  if (!routes.ok()) {
    std::cerr << "shopstream-openapi: " << routes.status() << "\n";
    return 1;
  }
  const std::string document = shopstream::gateway::OpenApiDocument(
      *routes, {.version = std::string(shopstream::BuildVersion()),
                .description =
                    "The REST API of shopstream-gateway, made from the "
                    "google.api.http annotations of proto/shopstream/v1 (the "
                    "reference): every JSON field under its proto name, 64-bit "
                    "integers as numbers, unset optional fields as null."});
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cout << document;
    return 0;
  }
  std::ofstream file(out, std::ios::trunc);
  file << document;
  file.close();
  if (!file) {
    std::cerr << "shopstream-openapi: cannot write " << out << "\n";
    return 1;
  }
  return 0;
}
